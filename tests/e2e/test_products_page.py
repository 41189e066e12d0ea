"""The products page in real Chromium: what the user sees, and what the API then stores."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import Dialog, Locator, Page, expect
from sqlalchemy import create_engine, text

from tests.e2e.conftest import save_screenshot, wait_for_js
from tests.servers import LiveServer

XSS_NAME = "<img src=x onerror=alert(1)>"
XSS_DESCRIPTION = "<script>alert('d')</script><b>bold?</b>"


@pytest.fixture
def api(live_server: LiveServer) -> Iterator[httpx.Client]:
    """An API client on an empty catalog (each test starts from no products)."""
    with live_server.api() as client:
        client.delete("/api/products", params={"confirm": "true"}).raise_for_status()
        yield client


def create(
    api: httpx.Client, sku: str, name: str, description: str = "", active: bool = True
) -> Any:
    response = api.post(
        "/api/products",
        json={"sku": sku, "name": name, "description": description, "active": active},
    )
    response.raise_for_status()
    return response.json()


def stored(api: httpx.Client, **params: Any) -> list[Any]:
    response = api.get("/api/products", params={"page_size": 500, **params})
    response.raise_for_status()
    items: list[Any] = response.json()["items"]
    return items


def total(api: httpx.Client) -> int:
    return int(api.get("/api/products", params={"page_size": 1}).json()["total"])


def filters(page: Page) -> Locator:
    return page.get_by_role("search", name="Filter products")


def sku_cells(page: Page) -> Locator:
    return page.locator("#products-body td.col-sku")


def row(page: Page, sku: str) -> Locator:
    return page.locator("#products-body tr").filter(
        has=page.locator("td.col-sku", has_text=re.compile(f"^{re.escape(sku)}$"))
    )


def open_products(page: Page, live_server: LiveServer, query: str = "") -> None:
    page.goto(f"{live_server.url}/products{query}")
    expect(page.locator("#table-wrap")).to_have_attribute("aria-busy", "false")


def seed_catalog(api: httpx.Client) -> None:
    create(api, "WID-001", "Blue widget", "A small blue widget for testing")
    create(api, "WID-002", "Red widget", "A large red widget")
    create(api, "GAD-001", "Blue gadget", "Gadget, blue, battery powered", active=False)
    create(api, "GAD-002", "Green gadget", "Solar powered gadget")
    create(api, "TOOL-9", "Hammer", "Steel hammer " + "with a long handle " * 10)


def test_empty_catalog_offers_the_upload_page(
    live_server: LiveServer, page: Page, api: httpx.Client
) -> None:
    open_products(page, live_server)
    empty = page.locator("#empty-none")
    expect(empty).to_be_visible()
    expect(empty).to_contain_text("No products yet")
    expect(empty.get_by_role("link", name="upload page")).to_have_attribute("href", "/")
    expect(page.locator("#products-table")).to_be_hidden()
    save_screenshot(page, "products-empty")
    assert total(api) == 0


def test_each_filter_and_combined_live_in_the_url(
    live_server: LiveServer, page: Page, api: httpx.Client
) -> None:
    seed_catalog(api)
    open_products(page, live_server)
    expect(sku_cells(page)).to_have_count(5)
    expect(page.locator("#summary")).to_have_text("Showing 1–5 of 5 products")
    # the long description is shortened, the full text is one click away
    hammer = row(page, "TOOL-9")
    full = hammer.locator(".full-description")
    expect(full).to_be_hidden()
    hammer.locator("summary").click()
    expect(full).to_be_visible()
    expect(full).to_have_text("Steel hammer " + "with a long handle " * 10)
    save_screenshot(page, "products-list")

    filters(page).get_by_label("SKU", exact=True).fill("wid")  # case-insensitive contains
    expect(sku_cells(page)).to_have_text(["WID-001", "WID-002"])
    expect(page).to_have_url(re.compile(r"/products\?sku=wid$"))

    filters(page).get_by_label("Name", exact=True).fill("BLUE")
    expect(sku_cells(page)).to_have_text(["WID-001"])
    expect(page).to_have_url(re.compile(r"sku=wid&name=BLUE"))

    filters(page).get_by_label("SKU", exact=True).fill("")
    expect(sku_cells(page)).to_have_text(["WID-001", "GAD-001"])

    filters(page).get_by_label("Status", exact=True).select_option("false")
    expect(sku_cells(page)).to_have_text(["GAD-001"])
    expect(page).to_have_url(re.compile(r"name=BLUE&active=false"))
    expect(page.locator("#summary")).to_have_text("Showing 1–1 of 1 matching product")

    # reload keeps the view
    page.reload()
    expect(filters(page).get_by_label("Name", exact=True)).to_have_value("BLUE")
    expect(filters(page).get_by_label("Status", exact=True)).to_have_value("false")
    expect(sku_cells(page)).to_have_text(["GAD-001"])

    # back restores the previous view (blue, any status)
    page.go_back()
    expect(filters(page).get_by_label("Status", exact=True)).to_have_value("")
    expect(sku_cells(page)).to_have_text(["WID-001", "GAD-001"])
    page.go_forward()
    expect(sku_cells(page)).to_have_text(["GAD-001"])

    # description filter alone, through a shared link
    open_products(page, live_server, "?description=POWERED")
    expect(filters(page).get_by_label("Description", exact=True)).to_have_value("POWERED")
    expect(sku_cells(page)).to_have_text(["GAD-001", "GAD-002"])
    filters(page).get_by_label("Status", exact=True).select_option("true")
    expect(sku_cells(page)).to_have_text(["GAD-002"])

    # no match: say so and offer to clear the filters
    filters(page).get_by_label("Description", exact=True).fill("nothing like this")
    no_match = page.locator("#empty-nomatch")
    expect(no_match).to_contain_text("No products match these filters")
    expect(page.locator("#empty-none")).to_be_hidden()
    no_match.get_by_role("button", name="Clear filters").click()
    expect(sku_cells(page)).to_have_count(5)
    expect(page).to_have_url(re.compile(r"/products$"))
    assert [p["sku"] for p in stored(api, name="blue", active="false")] == ["GAD-001"]


def test_pagination_first_previous_next_last_numbers_and_size(
    live_server: LiveServer, page: Page, api: httpx.Client
) -> None:
    for i in range(1, 24):
        create(api, f"P-{i:03d}", f"Product {i}")
    open_products(page, live_server, "?page_size=10")
    expect(page.locator("#summary")).to_have_text("Showing 1–10 of 23 products")
    expect(sku_cells(page).first).to_have_text("P-001")
    pager = page.get_by_role("navigation", name="Pagination")
    expect(pager.get_by_role("button", name="First page")).to_be_disabled()
    expect(pager.get_by_role("button", name="Previous page")).to_be_disabled()

    pager.get_by_role("button", name="Next page").click()
    expect(sku_cells(page).first).to_have_text("P-011")
    expect(page).to_have_url(re.compile(r"page=2&page_size=10"))
    expect(pager.get_by_role("button", name="Page 2")).to_have_attribute("aria-current", "page")

    pager.get_by_role("button", name="Last page").click()
    expect(sku_cells(page)).to_have_text(["P-021", "P-022", "P-023"])
    expect(page.locator("#summary")).to_have_text("Showing 21–23 of 23 products")
    expect(pager.get_by_role("button", name="Next page")).to_be_disabled()

    page.reload()
    expect(sku_cells(page)).to_have_text(["P-021", "P-022", "P-023"])

    pager.get_by_role("button", name="Previous page").click()
    expect(sku_cells(page).first).to_have_text("P-011")
    pager.get_by_role("button", name="Page 1").click()
    expect(sku_cells(page).first).to_have_text("P-001")
    page.go_back()
    expect(sku_cells(page).first).to_have_text("P-011")
    pager.get_by_role("button", name="First page").click()
    expect(sku_cells(page).first).to_have_text("P-001")

    page.get_by_label("Per page").select_option("25")
    expect(sku_cells(page)).to_have_count(23)
    expect(page).to_have_url(re.compile(r"page_size=25"))
    expect(pager.get_by_role("button", name="Next page")).to_be_disabled()

    # filtering goes back to page 1
    open_products(page, live_server, "?page=3&page_size=10")
    filters(page).get_by_label("Name", exact=True).fill("Product 2")
    expect(sku_cells(page)).to_have_text(["P-002", "P-020", "P-021", "P-022", "P-023"])
    expect(page).not_to_have_url(re.compile(r"page=3"))


def test_create_in_a_modal_with_inline_validation(
    live_server: LiveServer, page: Page, api: httpx.Client
) -> None:
    create(api, "EXIST-1", "Existing")
    open_products(page, live_server)
    page.get_by_role("button", name="New product").click()
    dialog = page.get_by_role("dialog", name="New product")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_label("SKU")).to_be_focused()

    dialog.get_by_role("button", name="Save").click()
    expect(dialog.locator("#product-sku-error")).to_have_text("SKU is required.")
    expect(dialog.locator("#product-name-error")).to_have_text("Name is required.")
    expect(dialog.get_by_label("SKU")).to_have_attribute("aria-invalid", "true")

    # a case-insensitive collision on create names the holder at the SKU field
    dialog.get_by_label("SKU").fill("exist-1")
    dialog.get_by_label("Name").fill("Copy")
    dialog.get_by_role("button", name="Save").click()
    existing = stored(api)[0]
    expect(dialog.locator("#product-sku-error")).to_have_text(
        f"SKU 'EXIST-1' is already used by product {existing['id']}"
    )
    expect(dialog.locator("#product-name-error")).to_have_text("")

    dialog.get_by_label("SKU").fill("NEW-1")
    dialog.get_by_label("Name").fill("Brand new")
    dialog.get_by_label("Description").fill("Fresh from the modal")
    dialog.get_by_label("Active").uncheck()
    dialog.get_by_role("button", name="Save").click()
    expect(dialog).to_be_hidden()
    expect(page.locator(".toast-success")).to_have_text("Created NEW-1.")
    expect(row(page, "NEW-1").locator(".col-name")).to_have_text("Brand new")
    expect(row(page, "NEW-1").locator(".toggle")).to_have_text("Inactive")

    saved = [p for p in stored(api) if p["sku"] == "NEW-1"]
    assert len(saved) == 1
    assert saved[0]["name"] == "Brand new"
    assert saved[0]["description"] == "Fresh from the modal"
    assert saved[0]["active"] is False
    assert total(api) == 2


def test_edit_shows_the_409_collision_at_the_sku_field(
    live_server: LiveServer, page: Page, api: httpx.Client
) -> None:
    holder = create(api, "ABC-1", "Holder")
    other = create(api, "XYZ-9", "Other", "old text")
    open_products(page, live_server)
    row(page, "XYZ-9").get_by_role("button", name="Edit XYZ-9").click()
    dialog = page.get_by_role("dialog", name="Edit product")
    expect(dialog.get_by_label("SKU")).to_have_value("XYZ-9")
    expect(dialog.get_by_label("Name")).to_have_value("Other")

    dialog.get_by_label("SKU").fill("abc-1")
    dialog.get_by_role("button", name="Save").click()
    error = dialog.locator("#product-sku-error")
    expect(error).to_have_text(f"SKU 'ABC-1' is already used by product {holder['id']}")
    expect(dialog.get_by_label("SKU")).to_be_focused()
    save_screenshot(page, "products-edit-modal")
    assert api.get(f"/api/products/{other['id']}").json()["sku"] == "XYZ-9"

    # the same product may change the casing of its own SKU
    dialog.get_by_label("SKU").fill("xyz-9")
    dialog.get_by_label("Name").fill("Renamed")
    dialog.get_by_label("Description").fill("new text")
    dialog.get_by_role("button", name="Save").click()
    expect(dialog).to_be_hidden()
    expect(page.locator(".toast-success")).to_have_text("Saved xyz-9.")
    expect(row(page, "xyz-9").locator(".col-name")).to_have_text("Renamed")
    after = api.get(f"/api/products/{other['id']}").json()
    assert (after["sku"], after["name"], after["description"]) == ("xyz-9", "Renamed", "new text")
    assert api.get(f"/api/products/{holder['id']}").json()["sku"] == "ABC-1"


def test_escape_closes_the_modal_and_focus_returns(
    live_server: LiveServer, page: Page, api: httpx.Client
) -> None:
    create(api, "K-1", "Keyboard")
    open_products(page, live_server)
    opener = page.get_by_role("button", name="New product")
    opener.focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="New product")
    expect(dialog).to_be_visible()
    page.keyboard.type("KB-2")
    page.keyboard.press("Tab")
    page.keyboard.type("Typed name")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(opener).to_be_focused()
    assert [p["sku"] for p in stored(api)] == ["K-1"]


def test_toggle_active_from_the_table(
    live_server: LiveServer, page: Page, api: httpx.Client
) -> None:
    product = create(api, "TG-1", "Toggle me")
    open_products(page, live_server)
    switch = row(page, "TG-1").get_by_role("switch", name="Active: TG-1")
    expect(switch).to_have_attribute("aria-checked", "true")
    switch.click()
    expect(page.locator(".toast-success")).to_have_text("TG-1 is now inactive.")
    expect(switch).to_have_attribute("aria-checked", "false")
    expect(switch).to_have_text("Inactive")
    assert api.get(f"/api/products/{product['id']}").json()["active"] is False
    switch.click()
    expect(switch).to_have_attribute("aria-checked", "true")
    assert api.get(f"/api/products/{product['id']}").json()["active"] is True


def test_delete_one_asks_first(live_server: LiveServer, page: Page, api: httpx.Client) -> None:
    keep = create(api, "KEEP-1", "Keep")
    gone = create(api, "GONE-1", "Gone soon")
    open_products(page, live_server)
    row(page, "GONE-1").get_by_role("button", name="Delete GONE-1").click()
    dialog = page.get_by_role("dialog", name="Delete product?")
    expect(dialog).to_contain_text("Delete Gone soon (SKU GONE-1)? This cannot be undone.")
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    assert api.get(f"/api/products/{gone['id']}").status_code == 200

    row(page, "GONE-1").get_by_role("button", name="Delete GONE-1").click()
    dialog.get_by_role("button", name="Delete").click()
    expect(page.locator(".toast-success")).to_have_text("Deleted GONE-1.")
    expect(sku_cells(page)).to_have_text(["KEEP-1"])
    assert api.get(f"/api/products/{gone['id']}").status_code == 404
    assert api.get(f"/api/products/{keep['id']}").status_code == 200


def _product_events(live_server: LiveServer) -> list[Any]:
    engine = create_engine(live_server.database_url)
    try:
        with engine.connect() as conn:
            return list(
                conn.execute(
                    text(
                        "SELECT type, payload FROM outbox_events"
                        " WHERE type LIKE 'product%' ORDER BY id"
                    )
                )
            )
    finally:
        engine.dispose()


def test_delete_all_cancel_deletes_nothing_and_confirm_deletes_everything(
    live_server: LiveServer, page: Page, api: httpx.Client
) -> None:
    for i in range(7):
        create(api, f"ALL-{i}", f"Doomed {i}")
    before = len(_product_events(live_server))
    open_products(page, live_server)
    page.get_by_role("button", name="Delete all…", exact=True).click()
    dialog = page.get_by_role("dialog", name="Delete all products")
    expect(dialog.locator("#delete-all-text")).to_have_text("Are you sure? This cannot be undone.")
    expect(dialog.locator("#delete-all-count")).to_have_text("7 products will be deleted.")
    save_screenshot(page, "products-delete-all-dialog")

    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    assert total(api) == 7
    page.get_by_role("button", name="Delete all…", exact=True).click()
    expect(dialog.locator("#delete-all-count")).to_have_text("7 products will be deleted.")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    assert total(api) == 7
    expect(sku_cells(page)).to_have_count(7)

    page.get_by_role("button", name="Delete all…", exact=True).click()
    dialog.get_by_role("button", name="Delete all", exact=True).click()
    expect(page.locator(".toast-success")).to_have_text("Deleted 7 products.")
    expect(dialog).to_be_hidden()
    expect(page.locator("#empty-none")).to_be_visible()
    assert total(api) == 0
    events = _product_events(live_server)[before:]
    # one products.deleted_all event carrying the count, no product.deleted per row
    assert [(kind, payload["data"]) for kind, payload in events] == [
        ("products.deleted_all", {"deleted": 7})
    ]


def test_delete_all_failure_is_notified(
    live_server: LiveServer, page: Page, api: httpx.Client
) -> None:
    create(api, "SURV-1", "Survivor")
    open_products(page, live_server)
    page.route(
        re.compile(r".*/api/products\?confirm=true$"),
        lambda route: route.fulfill(
            status=503, content_type="application/json", body='{"detail": "database is busy"}'
        ),
    )
    page.get_by_role("button", name="Delete all…", exact=True).click()
    dialog = page.get_by_role("dialog", name="Delete all products")
    expect(dialog.locator("#delete-all-count")).to_have_text("1 product will be deleted.")
    dialog.get_by_role("button", name="Delete all", exact=True).click()
    expect(page.locator(".toast-error")).to_have_text("Delete all failed: database is busy")
    expect(dialog.get_by_role("button", name="Delete all", exact=True)).to_be_enabled()
    assert total(api) == 1


def test_untrusted_text_renders_literally(
    live_server: LiveServer, page: Page, api: httpx.Client
) -> None:
    create(api, "XSS-1", XSS_NAME, XSS_DESCRIPTION)
    dialogs: list[str] = []

    def on_dialog(d: Dialog) -> None:
        dialogs.append(d.message)
        d.dismiss()

    page.on("dialog", on_dialog)
    open_products(page, live_server)
    expect(row(page, "XSS-1").locator(".col-name")).to_have_text(XSS_NAME)
    expect(row(page, "XSS-1").locator(".col-description")).to_have_text(XSS_DESCRIPTION)
    assert page.locator("#products-body img, #products-body script, #products-body b").count() == 0
    row(page, "XSS-1").get_by_role("button", name="Delete XSS-1").click()
    expect(page.locator("#delete-dialog-name")).to_have_text(XSS_NAME)
    page.keyboard.press("Escape")
    assert dialogs == []
    assert stored(api)[0]["name"] == XSS_NAME


def test_api_failure_shows_an_error_notification(
    live_server: LiveServer, page: Page, api: httpx.Client
) -> None:
    create(api, "UP-1", "Up again")
    page.route(re.compile(r".*/api/products\?.*"), lambda route: route.abort("connectionrefused"))
    page.goto(f"{live_server.url}/products")
    expect(page.locator(".toast-error")).to_contain_text("The server could not be reached")
    expect(page.locator("#load-error")).to_be_visible()
    page.unroute(re.compile(r".*/api/products\?.*"))
    page.get_by_role("button", name="Try again").click()
    expect(sku_cells(page)).to_have_text(["UP-1"])
    expect(page.locator("#load-error")).to_be_hidden()


def test_phone_width_keeps_the_page_readable(
    live_server: LiveServer, page: Page, api: httpx.Client
) -> None:
    create(api, "PHONE-1", "A product with a rather long name to wrap", "text " * 40)
    page.set_viewport_size({"width": 375, "height": 740})
    open_products(page, live_server)
    expect(sku_cells(page)).to_have_text(["PHONE-1"])
    # the table scrolls inside its own box; the page itself never scrolls sideways
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    wrap = page.locator("#table-wrap")
    assert wrap.evaluate("w => w.scrollWidth > w.clientWidth")


# Delays the page's fetches of one filter value until the test releases them (in-page only; the
# server is untouched), so a stale response can be made to arrive after a newer one.
HOLD_FETCH = """
window.held = [];
window.finished = [];
const realFetch = window.fetch.bind(window);
window.fetch = async (url, init) => {
  if (String(url).includes("sku=WID")) {
    await new Promise((release) => window.held.push(release));
    try { return await realFetch(url, init); } finally { window.finished.push(String(url)); }
  }
  return realFetch(url, init);
};
"""


def test_a_stale_response_never_replaces_newer_results(
    live_server: LiveServer, page: Page, api: httpx.Client
) -> None:
    seed_catalog(api)
    page.add_init_script(HOLD_FETCH)
    open_products(page, live_server)
    sku = filters(page).get_by_label("SKU", exact=True)
    sku.fill("WID")
    wait_for_js(page, "window.held.length === 1")  # the WID request is in flight
    expect(page.locator("#loading")).to_be_visible()
    expect(page.locator("#table-wrap")).to_have_attribute("aria-busy", "true")

    sku.fill("GAD")
    expect(sku_cells(page)).to_have_text(["GAD-001", "GAD-002"])
    page.evaluate("window.held.forEach((release) => release())")  # the stale answer lands now
    wait_for_js(page, "window.finished.length === 1")
    expect(sku_cells(page)).to_have_text(["GAD-001", "GAD-002"])
    expect(page).to_have_url(re.compile(r"\?sku=GAD$"))
    expect(page.locator("#loading")).to_be_hidden()
