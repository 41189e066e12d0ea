"""The products page on a catalog large enough for the API to cap its count: the user sees
"at least" totals, can keep paging, and the delete-all dialog still states the exact number."""

from __future__ import annotations

from datetime import UTC, datetime

from playwright.sync_api import Page, expect
from sqlalchemy import create_engine, insert

from acme.adapters.sqlalchemy.tables import products
from acme.domain.sku import sku_key
from tests.servers import LiveServer

COUNT = 1_200  # more than page_size + LIST_COUNT_CAP (50 + 250)


def seed(database_url: str) -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    rows = [
        {
            "sku": f"BIG-{i:05d}",
            "sku_key": sku_key(f"BIG-{i:05d}"),
            "name": f"Big product {i}",
            "description": "",
            "active": True,
            "created_at": now,
            "updated_at": now,
        }
        for i in range(1, COUNT + 1)
    ]
    engine = create_engine(database_url)
    try:
        with engine.begin() as conn:
            conn.execute(insert(products), rows)
    finally:
        engine.dispose()


def test_capped_totals_read_as_at_least_and_paging_goes_on(
    live_server: LiveServer, page: Page
) -> None:
    seed(live_server.database_url)
    page.goto(f"{live_server.url}/products")
    summary = page.locator("#summary")
    expect(summary).to_have_text("Showing 1–50 of 300+ products")
    pager = page.get_by_role("navigation", name="Pagination")
    expect(pager.get_by_role("button", name="Last page")).to_be_disabled()
    expect(pager.get_by_role("button", name="Page 6")).to_be_visible()

    pager.get_by_role("button", name="Next page").click()
    expect(summary).to_have_text("Showing 51–100 of 350+ products")
    expect(page.locator("#products-body td.col-sku").first).to_have_text("BIG-00051")

    page.goto(f"{live_server.url}/products?page=24")
    expect(summary).to_have_text("Showing 1,151–1,200 of 1,200 products")  # exact again
    expect(pager.get_by_role("button", name="Next page")).to_be_disabled()

    page.get_by_role("button", name="Delete all…", exact=True).click()
    dialog = page.get_by_role("dialog", name="Delete all products")
    expect(dialog.locator("#delete-all-count")).to_have_text("1,200 products will be deleted.")
