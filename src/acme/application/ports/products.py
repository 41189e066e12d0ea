from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
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
# About how many products counting past a page may walk through (see count_cap_after).
LIST_COUNT_WALK = 5_000


def count_cap_after(page_ids: Sequence[int], cap: int, walk: int) -> int:
    """How many matches to count after a page whose matches have ids ``page_ids``.

    Counting walks the catalog in id order from the page's end, so counting ``cap`` matches
    costs about ``cap / density`` products, and a filter that matches one product in a
    hundred would walk 25,000 of them for a cap of 250. The page shows the density where
    the walk continues (matches per id); the cap shrinks so that the walk stays near
    ``walk`` products, never below 1 (whether a next page exists is always known)."""
    if len(page_ids) < 2:
        return cap
    span = page_ids[-1] - page_ids[0]
    if span <= 0:
        return cap
    return max(1, min(cap, walk * (len(page_ids) - 1) // span))


@dataclass(frozen=True)
class ProductPage:
    """One page of a listing.

    ``total`` is exact while at most ``cap`` matches follow the page, ``cap`` being
    ``LIST_COUNT_CAP``, or fewer where the page's matches are sparse (``count_cap_after``).
    Past that, counting would cost more than the page itself, so ``total`` is the lower
    bound ``offset + len(items) + cap`` and ``total_capped`` is True ("at least"), unless
    the caller asked for an exact total.
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
