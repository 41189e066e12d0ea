"""How a ProductRepository counts a listing: exact, or capped past ``count_cap`` matches after
the page and marked as such. Runs against the fake (tests/unit) and the SQL adapter on
PostgreSQL and SQLite (tests/integration). Each test takes ``capped_repository``: an empty
repository whose count cap is CAP, or ``walking_repository``: an empty repository whose cap
is WIDE_CAP and whose count walks about WALK products."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from acme.application.ports import ProductFilter, ProductRepository
from acme.domain.product import Product

CAP = 3
WIDE_CAP = 100
WALK = 8
NOW = datetime(2026, 1, 1, tzinfo=UTC)


def add(repo: ProductRepository, count: int, *, inactive_every: int = 0) -> list[int]:
    ids = []
    for i in range(count):
        active = not (inactive_every and i % inactive_every == 0)
        product = Product(f"sku-{i}", f"Name {i}", "", active, created_at=NOW, updated_at=NOW)
        ids.append(repo.add(product).id or 0)
    return ids


@pytest.mark.parametrize(
    ("page", "size", "items", "total", "capped"),
    [
        (1, 2, [0, 1], 2 + CAP, True),  # 8 follow the page: counted up to CAP, "at least 5"
        (3, 2, [4, 5], 6 + CAP, True),  # 4 follow: still more than CAP
        (4, 2, [6, 7], 10, False),  # 2 follow: exact
        (5, 2, [8, 9], 10, False),  # a full last page: exact
        (4, 3, [9], 10, False),  # a short last page: exact without counting
        (6, 2, [], CAP, True),  # past the end: counted from the start, up to CAP
    ],
)
def test_total_is_exact_until_cap_matches_follow_the_page(
    capped_repository: ProductRepository,
    page: int,
    size: int,
    items: list[int],
    total: int,
    capped: bool,
) -> None:
    ids = add(capped_repository, 10)
    listing = capped_repository.list(ProductFilter(), page, size)
    assert [p.id for p in listing.items] == [ids[i] for i in items]
    assert (listing.total, listing.total_capped) == (total, capped)


@pytest.mark.parametrize(
    ("size", "items", "total", "capped"),
    [(1, [0], 1 + CAP, True), (2, [0, 2], 5, False), (5, [0, 2, 4, 6, 8], 5, False)],
)
def test_filtered_totals_count_only_matches(
    capped_repository: ProductRepository, size: int, items: list[int], total: int, capped: bool
) -> None:
    ids = add(capped_repository, 10, inactive_every=2)
    listing = capped_repository.list(ProductFilter(active=False), 1, size)
    assert [p.id for p in listing.items] == [ids[i] for i in items]
    assert (listing.total, listing.total_capped) == (total, capped)


def test_past_the_end_of_a_small_result_the_total_is_exact(
    capped_repository: ProductRepository,
) -> None:
    add(capped_repository, 10, inactive_every=4)  # inactive: 0, 4, 8
    listing = capped_repository.list(ProductFilter(active=False), 9, 5)
    assert (listing.items, listing.total, listing.total_capped) == ([], 3, False)


@pytest.mark.parametrize(
    ("filters", "page", "size", "total"),
    [
        (ProductFilter(), 1, 2, 10),
        (ProductFilter(), 3, 2, 10),
        (ProductFilter(), 9, 2, 10),  # past the end
        (ProductFilter(active=False), 1, 1, 5),
        (ProductFilter(active=False, name="Name 4"), 1, 1, 1),
    ],
)
def test_an_exact_total_counts_every_match(
    capped_repository: ProductRepository,
    filters: ProductFilter,
    page: int,
    size: int,
    total: int,
) -> None:
    add(capped_repository, 10, inactive_every=2)
    listing = capped_repository.list(filters, page, size, exact_total=True)
    assert (listing.total, listing.total_capped) == (total, False)


@pytest.mark.parametrize(
    ("every", "total", "capped"),
    [
        # Every product matches: the cap is WALK (8 of the 38 after the page).
        (1, 2 + WALK, True),
        # One in four: ids 4 apart on the page, so WALK products hold about 2 matches.
        (4, 2 + 2, True),
        # One in twenty: the cap never falls below 1, so a next page is always known.
        (20, 2 + 1, True),
    ],
)
def test_sparse_matches_count_fewer_so_the_count_walks_about_walk_products(
    walking_repository: ProductRepository, every: int, total: int, capped: bool
) -> None:
    add(walking_repository, 80, inactive_every=every)
    listing = walking_repository.list(ProductFilter(active=False), 1, 2)
    assert (listing.total, listing.total_capped) == (total, capped)


def test_a_sparse_result_that_ends_within_the_cap_is_exact(
    walking_repository: ProductRepository,
) -> None:
    add(walking_repository, 12, inactive_every=4)  # inactive: 0, 4, 8; cap 2 after [0, 4]
    listing = walking_repository.list(ProductFilter(active=False), 1, 2)
    assert (listing.total, listing.total_capped) == (3, False)
