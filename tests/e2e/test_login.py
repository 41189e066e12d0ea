"""With ACME_API_TOKEN set, a browser signs in once on /login, then the app works through the
session cookie: pages load, and their state-changing calls pass the CSRF check."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.databases import postgres_database
from tests.e2e.conftest import save_screenshot
from tests.servers import LiveServer, start_server, stop_server

TOKEN = "e2e-token-0123456789"


@pytest.fixture(scope="module")
def secured_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with postgres_database("acme_e2e") as url:
        server = start_server(url, Path(tmp_path_factory.mktemp("secured")), ACME_API_TOKEN=TOKEN)
        try:
            yield server
        finally:
            stop_server(server)


def stored_skus(server: LiveServer) -> list[str]:
    with server.api() as client:
        client.headers["Authorization"] = f"Bearer {TOKEN}"
        return sorted(p["sku"] for p in client.get("/api/products").json()["items"])


def test_login_then_the_app_works(secured_server: LiveServer, page: Page) -> None:
    base = secured_server.url
    response = page.goto(f"{base}/api/products")
    assert response is not None and response.status == 401

    page.goto(f"{base}/products")  # a page sends the browser to the login form
    expect(page).to_have_url(f"{base}/login?next=%2Fproducts")
    page.get_by_label("API token").fill("wrong")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text("That token is not valid.")

    page.get_by_label("API token").fill(TOKEN)
    save_screenshot(page, "login")
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{base}/products")
    expect(page.locator("#table-wrap")).to_have_attribute("aria-busy", "false")

    cookies = {c["name"]: c for c in page.context.cookies()}
    assert cookies["acme_session"]["httpOnly"] and cookies["acme_session"]["sameSite"] == "Strict"
    assert not cookies["acme_csrf"]["httpOnly"]

    # the page's own create dialog writes through api.js, which sends X-CSRF-Token
    page.get_by_role("button", name="New product").click()
    dialog = page.get_by_role("dialog", name="New product")
    dialog.get_by_label("SKU").fill("E2E-1")
    dialog.get_by_label("Name").fill("Lamp")
    dialog.get_by_role("button", name="Save").click()
    expect(page.locator(".toast-success")).to_have_text("Created E2E-1.")
    assert stored_skus(secured_server) == ["E2E-1"]

    # a bare fetch from page code gets the header too; without the cookie's token it would 403
    status = page.evaluate(
        """async () => (await fetch("/api/products", { method: "POST",
            headers: { "Content-Type": "application/json" },
            body: JSON.stringify({ sku: "E2E-2", name: "Desk" }) })).status"""
    )
    assert status == 201
    assert stored_skus(secured_server) == ["E2E-1", "E2E-2"]


def test_cookie_requests_need_the_csrf_header_which_page_xhr_sends(
    secured_server: LiveServer, page: Page
) -> None:
    base = secured_server.url
    page.goto(f"{base}/login?next=/products")
    page.get_by_label("API token").fill(TOKEN)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#table-wrap")).to_have_attribute("aria-busy", "false")

    # the browser's cookies alone (what a forged request would carry) are refused
    forged = page.request.post(f"{base}/api/products", data={"sku": "X-1", "name": "x"})
    assert forged.status == 403
    assert "CSRF" in forged.json()["detail"]
    assert "X-1" not in stored_skus(secured_server)

    # an XMLHttpRequest made by page code (as upload libraries do) carries the header
    status = page.evaluate(
        """() => new Promise((resolve) => {
            const xhr = new XMLHttpRequest();
            xhr.open("POST", "/api/products");
            xhr.setRequestHeader("Content-Type", "application/json");
            xhr.onload = () => resolve(xhr.status);
            xhr.send(JSON.stringify({ sku: "XHR-1", name: "Chair" }));
        })"""
    )
    assert status == 201
    assert "XHR-1" in stored_skus(secured_server)


def test_the_upload_page_uploads_in_parts_and_imports_after_login(
    secured_server: LiveServer, page: Page, tmp_path: Path
) -> None:
    """tus-js-client sends its POST/PATCH parts through XMLHttpRequest: api.js's hook must give
    each the CSRF header, or the cookie-authenticated upload would be refused."""
    base = secured_server.url
    lines = ["sku,name,description"] + [f"UP-{i:05d},Item {i},Line {i}" for i in range(20_000)]
    path = tmp_path / "after-login.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    patches: list[int] = []
    page.on(
        "response",
        lambda r: patches.append(r.status) if r.request.method == "PATCH" else None,
    )

    page.goto(f"{base}/")
    expect(page).to_have_url(f"{base}/login?next=%2F")
    page.get_by_label("API token").fill(TOKEN)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#uploader")).to_have_attribute("data-ready", "true")
    page.set_input_files("#file-input", str(path))
    page.click("#start")
    expect(page.locator("#stage")).to_have_text(
        re.compile(r"^Import (complete|failed|cancelled)$"), timeout=120_000
    )
    expect(page.locator("#stage")).to_have_text("Import complete")
    assert patches and set(patches) == {204}
    with secured_server.api() as client:
        client.headers["Authorization"] = f"Bearer {TOKEN}"
        found = client.get(
            "/api/products", params={"sku": "UP-", "page_size": 1, "count": "exact"}
        ).json()
    assert found["total"] == 20_000
