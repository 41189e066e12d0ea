"""The served app answers a real browser."""

from __future__ import annotations

from urllib.parse import urlsplit

from playwright.sync_api import Page, Route, expect

from tests.e2e.conftest import save_screenshot
from tests.servers import LiveServer


def test_api_docs_render_the_products_operations_offline(
    live_server: LiveServer, page: Page
) -> None:
    own_host = urlsplit(live_server.url).netloc
    elsewhere: list[str] = []

    def only_our_server(route: Route) -> None:
        if urlsplit(route.request.url).netloc == own_host:
            route.continue_()
        else:  # a CDN or any other host: refuse, and remember it
            elsewhere.append(route.request.url)
            route.abort()

    page.route("**/*", only_our_server)
    page.goto(f"{live_server.url}/docs")
    assert page.title() == "Acme Importer - Swagger UI"
    products = page.locator("#operations-tag-products")
    expect(products).to_be_visible()
    for method, path in [
        ("GET", "/api/products"),
        ("POST", "/api/products"),
        ("DELETE", "/api/products"),
        ("GET", "/api/products/{product_id}"),
        ("PATCH", "/api/products/{product_id}"),
        ("DELETE", "/api/products/{product_id}"),
    ]:
        block = page.locator(
            ".opblock", has=page.locator(".opblock-summary-method", has_text=method)
        )
        expect(
            block.filter(has=page.locator(f'.opblock-summary-path[data-path="{path}"]'))
        ).to_have_count(1)
    expect(page.locator(".opblock-summary-path[data-path='/readyz']")).to_be_visible()
    save_screenshot(page, "api-docs")
    assert elsewhere == []
