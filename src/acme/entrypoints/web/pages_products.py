"""GET /products: the product table page (the JS module drives it over /api/products)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from acme.entrypoints.web.rendering import render

router = APIRouter(include_in_schema=False)

PAGE_SIZES = (10, 25, 50, 100, 200)  # all within the API's MAX_PAGE_SIZE


@router.get("/products", response_class=HTMLResponse)
def products_page(request: Request) -> HTMLResponse:
    return render(request, "products.html", "products", page_sizes=PAGE_SIZES)
