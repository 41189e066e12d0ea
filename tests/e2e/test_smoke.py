"""The served app answers a real browser."""

from __future__ import annotations

from playwright.sync_api import Page

from tests.e2e.conftest import LiveServer


def test_api_docs_page_loads_in_chromium(live_server: LiveServer, page: Page) -> None:
    page.goto(f"{live_server.url}/docs")
    assert page.title() == "Acme Importer - Swagger UI"
