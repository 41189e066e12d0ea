"""In-memory fakes of the ports. They subclass the real port classes, so a changed signature
breaks them loudly, and the shared suites in tests/suites run against them and the real
adapters alike, so their behaviour cannot drift apart."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from acme.application.ports import (
    LIST_COUNT_CAP,
    Clock,
    EventPublisher,
    ProductFilter,
    ProductPage,
    ProductRepository,
    UnitOfWork,
)
from acme.domain.errors import ConflictError
from acme.domain.events import DomainEvent
from acme.domain.product import Product
from acme.domain.sku import sku_filter_key


class FakeClock(Clock):
    def __init__(self, start: datetime | None = None) -> None:
        self.current = start or datetime(2026, 1, 1, 12, 0, tzinfo=UTC)

    def now(self) -> datetime:
        self.current += timedelta(milliseconds=1)
        return self.current


class FakeProductRepository(ProductRepository):
    def __init__(self, count_cap: int = LIST_COUNT_CAP) -> None:
        self.rows: dict[int, Product] = {}
        self._next_id = 1
        self.count_cap = count_cap

    def _check_key(self, product: Product) -> None:
        for other in self.rows.values():
            if other.key == product.key and other.id != product.id:
                raise ConflictError(f"SKU '{product.sku}' is already used by another product")

    def add(self, product: Product) -> Product:
        self._check_key(product)
        product.id = self._next_id
        self._next_id += 1
        self.rows[product.id] = copy.deepcopy(product)
        return product

    def get(self, product_id: int) -> Product | None:
        found = self.rows.get(product_id)
        return copy.deepcopy(found) if found else None

    def get_by_key(self, key: str) -> Product | None:
        for p in self.rows.values():
            if p.key == key:
                return copy.deepcopy(p)
        return None

    def update(self, product: Product) -> Product:
        self._check_key(product)
        assert product.id is not None
        self.rows[product.id] = copy.deepcopy(product)
        return product

    def delete(self, product_id: int) -> bool:
        return self.rows.pop(product_id, None) is not None

    def delete_all(self) -> int:
        n = len(self.rows)
        self.rows.clear()
        return n

    def count(self) -> int:
        return len(self.rows)

    def stream(self, batch_size: int = 1_000) -> Iterator[Product]:
        for _, product in sorted(self.rows.items()):
            yield copy.deepcopy(product)

    def list(
        self, filters: ProductFilter, page: int, page_size: int, *, exact_total: bool = False
    ) -> ProductPage:
        def keep(p: Product) -> bool:
            return (
                (not filters.sku or sku_filter_key(filters.sku) in p.key)
                and (not filters.name or filters.name.lower() in p.name.lower())
                and (
                    not filters.description or filters.description.lower() in p.description.lower()
                )
                and (filters.active is None or p.active == filters.active)
            )

        matches = [copy.deepcopy(p) for _, p in sorted(self.rows.items()) if keep(p)]
        start = (page - 1) * page_size
        items = matches[start : start + page_size]
        # Counted like the SQL adapter: the page's end plus at most count_cap matches after it.
        counted = start + len(items) if items else 0
        more = len(matches) - counted
        if more > self.count_cap and not exact_total:
            return ProductPage(items, page, page_size, counted + self.count_cap, total_capped=True)
        return ProductPage(items, page, page_size, len(matches))


class FakeEventPublisher(EventPublisher):
    def __init__(self) -> None:
        self.pending: list[DomainEvent] = []

    def publish(self, event: DomainEvent) -> None:
        self.pending.append(event)


class FakeStore:
    """The 'database' behind FakeUnitOfWork: what has been committed."""

    def __init__(self) -> None:
        self.products = FakeProductRepository()
        self.events: list[DomainEvent] = []
        self.commits = 0


class FakeUnitOfWork(UnitOfWork):
    """Works on a copy of the store; commit swaps it in, rollback drops it."""

    def __init__(self, store: FakeStore) -> None:
        self._store = store

    def __enter__(self) -> FakeUnitOfWork:
        self.products = copy.deepcopy(self._store.products)
        self.events = FakeEventPublisher()
        return self

    def commit(self) -> None:
        assert isinstance(self.events, FakeEventPublisher)
        self._store.products = copy.deepcopy(self.products)
        self._store.events.extend(self.events.pending)
        self.events.pending = []
        self._store.commits += 1

    def rollback(self) -> None:
        if isinstance(getattr(self, "events", None), FakeEventPublisher):
            self.events.pending = []
        if hasattr(self, "products"):
            self.products = copy.deepcopy(self._store.products)


def fake_product(**overrides: object) -> Product:
    base = Product(sku="SKU-1", name="Widget", description="A widget")
    return replace(base, **overrides)  # type: ignore[arg-type]
