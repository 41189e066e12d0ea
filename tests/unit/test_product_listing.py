"""The shared listing-count suite, on the in-memory fake repository."""

from __future__ import annotations

import pytest

from tests.fakes import FakeProductRepository
from tests.suites.product_listing import *  # noqa: F403
from tests.suites.product_listing import CAP


@pytest.fixture
def capped_repository() -> FakeProductRepository:
    return FakeProductRepository(count_cap=CAP)
