"""/api/products: parse, call one use case, render."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response

from acme.application import products as use_cases
from acme.application.ports import LIST_COUNT_CAP, ProductFilter
from acme.entrypoints.api.deps import TheClock, Uow
from acme.entrypoints.api.schemas import (
    DeletedOut,
    ProductIn,
    ProductOut,
    ProductPageOut,
    ProductPatch,
)

router = APIRouter(prefix="/api/products", tags=["products"])


@router.get("", response_model=ProductPageOut)
def list_products(
    uow: Uow,
    sku: Annotated[str | None, Query(max_length=use_cases.MAX_FILTER_LENGTH)] = None,
    name: Annotated[str | None, Query(max_length=use_cases.MAX_FILTER_LENGTH)] = None,
    description: Annotated[str | None, Query(max_length=use_cases.MAX_FILTER_LENGTH)] = None,
    active: bool | None = None,
    page: Annotated[int, Query(ge=1, le=use_cases.MAX_PAGE)] = 1,
    page_size: Annotated[int, Query(ge=1, le=use_cases.MAX_PAGE_SIZE)] = 50,
    count: Annotated[
        Literal["capped", "exact"],
        Query(
            description="capped (default): total is exact unless more than "
            f"{LIST_COUNT_CAP:,} matches follow the page (fewer when matches are sparse), "
            "then a lower bound with total_capped=true; fast on any catalog. exact: count "
            "every match (slower on large catalogs; for confirmations and reports)."
        ),
    ] = "capped",
) -> ProductPageOut:
    filters = ProductFilter(
        sku=sku or None, name=name or None, description=description or None, active=active
    )
    result = use_cases.list_products(uow, filters, page, page_size, exact_total=count == "exact")
    return ProductPageOut(
        items=[ProductOut.of(p) for p in result.items],
        page=result.page,
        page_size=result.page_size,
        total=result.total,
        total_capped=result.total_capped,
    )


@router.post("", response_model=ProductOut, status_code=201)
def create_product(body: ProductIn, uow: Uow, clock: TheClock) -> ProductOut:
    product = use_cases.create_product(
        uow, clock, use_cases.NewProduct(body.sku, body.name, body.description, body.active)
    )
    return ProductOut.of(product)


@router.delete("", response_model=DeletedOut)
def delete_all_products(uow: Uow, clock: TheClock, confirm: bool = False) -> DeletedOut:
    return DeletedOut(deleted=use_cases.delete_all_products(uow, clock, confirm=confirm))


@router.get("/{product_id}", response_model=ProductOut)
def get_product(product_id: int, uow: Uow) -> ProductOut:
    return ProductOut.of(use_cases.get_product(uow, product_id))


@router.patch("/{product_id}", response_model=ProductOut)
def update_product(product_id: int, body: ProductPatch, uow: Uow, clock: TheClock) -> ProductOut:
    changes = use_cases.ProductChanges(**body.model_dump(exclude_unset=True))
    return ProductOut.of(use_cases.update_product(uow, clock, product_id, changes))


@router.delete("/{product_id}", status_code=204)
def delete_product(product_id: int, uow: Uow, clock: TheClock) -> Response:
    use_cases.delete_product(uow, clock, product_id)
    return Response(status_code=204)
