from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass

from acme.domain.product import Product


@dataclass(frozen=True)
class ProductFilter:
    """Case-insensitive 'contains' filters; None means 'do not filter on this'."""

    sku: str | None = None
    name: str | None = None
    description: str | None = None
    active: bool | None = None


# How many matches past the requested page a listing counts exactly (see ProductPage).
LIST_COUNT_CAP = 250


@dataclass(frozen=True)
class ProductPage:
    """One page of a listing.

    ``total`` is exact while at most ``LIST_COUNT_CAP`` matches follow the page. Past that,
    counting would cost more than the page itself, so ``total`` is the lower bound
    ``offset + len(items) + LIST_COUNT_CAP`` and ``total_capped`` is True ("at least"),
    unless the caller asked for an exact total.
    """

    items: list[Product]
    page: int
    page_size: int
    total: int
    total_capped: bool = False


class ProductRepository(ABC):
    @abstractmethod
    def add(self, product: Product) -> Product:
        """Insert and return the stored product (with id and timestamps).

        Raises ConflictError if another product holds the same SKU key."""

    @abstractmethod
    def get(self, product_id: int) -> Product | None: ...

    @abstractmethod
    def get_by_key(self, key: str) -> Product | None:
        """The product whose SKU key (see acme.domain.sku.sku_key) equals ``key``."""

    @abstractmethod
    def update(self, product: Product) -> Product:
        """Store the product's current fields. Raises ConflictError on a SKU key collision."""

    @abstractmethod
    def delete(self, product_id: int) -> bool:
        """Delete one product; return whether it existed."""

    @abstractmethod
    def delete_all(self) -> int:
        """Delete every product; return how many there were."""

    @abstractmethod
    def count(self) -> int: ...

    @abstractmethod
    def list(
        self, filters: ProductFilter, page: int, page_size: int, *, exact_total: bool = False
    ) -> ProductPage:
        """One page, ordered by id, with the number of matches: capped (see ProductPage)
        unless ``exact_total``, which counts every match (slower on large catalogs)."""

    @abstractmethod
    def stream(self, batch_size: int = 1_000) -> Iterator[Product]:
        """Every product, ordered by id, read ``batch_size`` at a time (memory stays bounded
        whatever the catalog size). Valid while the unit of work is open."""
