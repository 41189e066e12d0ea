"""Product use cases: create, read, update, delete one, delete all, list."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from acme.application.ports import Clock, ProductFilter, ProductPage, UnitOfWork
from acme.domain import events
from acme.domain.errors import (
    ConfirmationRequiredError,
    ConflictError,
    NotFoundError,
    ValidationError,
)
from acme.domain.events import DomainEvent
from acme.domain.product import Product, has_lone_surrogate

UowFactory = Callable[[], UnitOfWork]

MAX_PAGE_SIZE = 500
MAX_PAGE = 10_000_000
MAX_FILTER_LENGTH = 255  # no name or SKU is longer; a longer description phrase is not a search
MAX_PRODUCT_ID = 2**63 - 1  # ids are 64-bit; a larger one names no product


@dataclass(frozen=True)
class NewProduct:
    sku: str
    name: str
    description: str = ""
    active: bool = True


@dataclass(frozen=True)
class ProductChanges:
    sku: str | None = None
    name: str | None = None
    description: str | None = None
    active: bool | None = None


def product_payload(product: Product) -> dict[str, Any]:
    """The event/API view of a product."""
    return {
        "id": product.id,
        "sku": product.sku,
        "name": product.name,
        "description": product.description,
        "active": product.active,
        "created_at": product.created_at.isoformat() if product.created_at else None,
        "updated_at": product.updated_at.isoformat() if product.updated_at else None,
    }


def _not_found(product_id: int) -> NotFoundError:
    return NotFoundError(f"product {product_id} not found")


def _load(uow: UnitOfWork, product_id: int) -> Product:
    product = uow.products.get(product_id) if 1 <= product_id <= MAX_PRODUCT_ID else None
    if product is None:
        raise _not_found(product_id)
    return product


def _sku_taken(holder: Product) -> ConflictError:
    return ConflictError(f"SKU '{holder.sku}' is already used by product {holder.id}")


def create_product(uow_factory: UowFactory, clock: Clock, data: NewProduct) -> Product:
    product = Product(
        sku=data.sku, name=data.name, description=data.description, active=data.active
    )
    now = clock.now()
    product.created_at = product.updated_at = now
    with uow_factory() as uow:
        holder = uow.products.get_by_key(product.key)
        if holder is not None:
            raise _sku_taken(holder)
        stored = uow.products.add(product)
        uow.events.publish(DomainEvent(events.PRODUCT_CREATED, product_payload(stored), now))
        uow.commit()
    return stored


def get_product(uow_factory: UowFactory, product_id: int) -> Product:
    with uow_factory() as uow:
        return _load(uow, product_id)


def update_product(
    uow_factory: UowFactory, clock: Clock, product_id: int, changes: ProductChanges
) -> Product:
    with uow_factory() as uow:
        product = _load(uow, product_id)
        old_key = product.key
        changed = product.change(
            sku=changes.sku,
            name=changes.name,
            description=changes.description,
            active=changes.active,
        )
        if not changed:
            return product
        if product.key != old_key:
            holder = uow.products.get_by_key(product.key)
            if holder is not None and holder.id != product.id:
                raise _sku_taken(holder)
        now = clock.now()
        product.updated_at = now
        stored = uow.products.update(product)
        uow.events.publish(DomainEvent(events.PRODUCT_UPDATED, product_payload(stored), now))
        uow.commit()
    return stored


def delete_product(uow_factory: UowFactory, clock: Clock, product_id: int) -> None:
    with uow_factory() as uow:
        product = _load(uow, product_id)
        if not uow.products.delete(product_id):
            raise _not_found(product_id)
        uow.events.publish(
            DomainEvent(events.PRODUCT_DELETED, product_payload(product), clock.now())
        )
        uow.commit()


def delete_all_products(uow_factory: UowFactory, clock: Clock, *, confirm: bool) -> int:
    """Delete the whole catalog; one ``products.deleted_all`` event, not one per product."""
    if not confirm:
        raise ConfirmationRequiredError(
            "deleting all products cannot be undone; repeat the request with confirm=true"
        )
    with uow_factory() as uow:
        deleted = uow.products.delete_all()
        uow.events.publish(
            DomainEvent(events.PRODUCTS_DELETED_ALL, {"deleted": deleted}, clock.now())
        )
        uow.commit()
    return deleted


def list_products(
    uow_factory: UowFactory,
    filters: ProductFilter,
    page: int = 1,
    page_size: int = 50,
    *,
    exact_total: bool = False,
) -> ProductPage:
    """One page of products. The total is capped past LIST_COUNT_CAP matches after the page,
    fewer for sparse matches (fast whatever the catalog size and the filter), unless
    ``exact_total`` is asked for."""
    if not 1 <= page <= MAX_PAGE:
        raise ValidationError(f"page must be between 1 and {MAX_PAGE:,}", field="page")
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise ValidationError(f"page_size must be between 1 and {MAX_PAGE_SIZE}", field="page_size")
    for field, value in (
        ("sku", filters.sku),
        ("name", filters.name),
        ("description", filters.description),
    ):
        _check_filter(field, value)
    with uow_factory() as uow:
        return uow.products.list(filters, page, page_size, exact_total=exact_total)


def _check_filter(field: str, value: str | None) -> None:
    if value is None:
        return
    if len(value) > MAX_FILTER_LENGTH:
        raise ValidationError(
            f"the {field} filter is longer than {MAX_FILTER_LENGTH} characters", field=field
        )
    if "\x00" in value:
        raise ValidationError(f"the {field} filter must not contain NUL characters", field=field)
    if has_lone_surrogate(value):
        raise ValidationError(f"the {field} filter must be valid Unicode text", field=field)
