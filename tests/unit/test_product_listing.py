"""The shared listing-count suite, on the in-memory fake repository."""

from __future__ import annotations

import pytest

from acme.application.ports import count_cap_after
from tests.fakes import FakeProductRepository
from tests.suites.product_listing import *  # noqa: F403
from tests.suites.product_listing import CAP, WALK, WIDE_CAP


@pytest.fixture
def capped_repository() -> FakeProductRepository:
    return FakeProductRepository(count_cap=CAP)


@pytest.fixture
def walking_repository() -> FakeProductRepository:
    return FakeProductRepository(count_cap=WIDE_CAP, count_walk=WALK)


@pytest.mark.parametrize(
    ("ids", "cap", "walk", "expected"),
    [
        ([], 250, 5_000, 250),  # past the end: nothing to measure the density by
        ([7], 250, 5_000, 250),  # one match: no density either
        ([1, 2, 3], 250, 5_000, 250),  # dense: the cap holds
        ([1, 101, 201], 250, 5_000, 50),  # one match per 100 ids: 5,000 ids hold 50
        ([1, 100_001], 250, 5_000, 1),  # very sparse: still 1, to know if more follow
    ],
)
def test_count_cap_after_keeps_the_walk_near_walk_products(
    ids: list[int], cap: int, walk: int, expected: int
) -> None:
    assert count_cap_after(ids, cap, walk) == expected
