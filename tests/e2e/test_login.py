"""With ACME_API_TOKEN set, a browser signs in once on /login, then the app works through the
session cookie, and api.js sends the CSRF token on state-changing calls."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.databases import postgres_database
from tests.e2e.conftest import LiveServer, save_screenshot, start_server, stop_server

TOKEN = "e2e-token-0123456789"


@pytest.fixture(scope="module")
def secured_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with postgres_database("acme_e2e") as url:
        server = start_server(url, Path(tmp_path_factory.mktemp("secured")), ACME_API_TOKEN=TOKEN)
        try:
            yield server
        finally:
            stop_server(server)


def test_login_then_the_app_works(secured_server: LiveServer, page: Page) -> None:
    base = secured_server.url
    response = page.goto(f"{base}/api/products")
    assert response is not None and response.status == 401

    page.goto(f"{base}/login?next=/api/products")
    page.get_by_label("API token").fill("wrong")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text("That token is not valid.")

    page.get_by_label("API token").fill(TOKEN)
    save_screenshot(page, "login")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/api/products")
    assert '"total":0' in page.content().replace(" ", "")

    session = {c["name"]: c for c in page.context.cookies()}
    assert session["acme_session"]["httpOnly"] and session["acme_session"]["sameSite"] == "Strict"
    assert not session["acme_csrf"]["httpOnly"]

    # a page's JS writes through api.js (which adds X-CSRF-Token) and through a bare fetch
    created = page.evaluate(
        """async () => {
            const { api } = await import("/static/js/api.js");
            const body = { sku: "E2E-1", name: "Lamp" };
            const one = await api("/api/products", { method: "POST", body });
            const r = await fetch("/api/products", { method: "POST",
                headers: { "Content-Type": "application/json" },
                body: JSON.stringify({ sku: "E2E-2", name: "Desk" }) });
            return [one.sku, r.status];
        }"""
    )
    assert created == ["E2E-1", 201]
    with secured_server.api() as client:
        client.headers["Authorization"] = f"Bearer {TOKEN}"
        skus = sorted(p["sku"] for p in client.get("/api/products").json()["items"])
    assert skus == ["E2E-1", "E2E-2"]
