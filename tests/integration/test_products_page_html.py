"""GET /products serves the page shell, ready for a strict Content-Security-Policy."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from tests.apps import make_app


@pytest.fixture
def client(sqlite_url: str) -> Iterator[TestClient]:
    app = make_app(sqlite_url)
    with TestClient(app) as c:
        yield c
    app.state.container.engine().dispose()


def test_products_page_is_served_with_its_module_and_no_inline_code(client: TestClient) -> None:
    response = client.get("/products")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    assert '<a href="/products" aria-current="page">Products</a>' in html
    scripts = re.findall(r"<script\b[^>]*>(.*?)</script>", html, flags=re.S)
    assert scripts == [""]  # one external module, nothing inline
    assert '<script type="module" src="/static/js/products.js"></script>' in html
    assert not re.search(r"\sstyle=", html)
    assert not re.search(r"\son[a-z]+=", html)
    for label_for in ("filter-sku", "filter-name", "filter-description", "filter-active"):
        assert f'<label for="{label_for}">' in html
    assert "Are you sure? This cannot be undone." in html


def test_products_module_never_writes_html_from_data(client: TestClient) -> None:
    js = client.get("/static/js/products.js")
    assert js.status_code == 200
    assert "innerHTML" not in js.text
    assert "insertAdjacentHTML" not in js.text
    assert "document.write" not in js.text
