"""The shared listing-count suite, on the SQL repository (PostgreSQL and SQLite)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from acme.adapters.sqlalchemy.products import SqlProductRepository
from tests.suites.product_listing import *  # noqa: F403
from tests.suites.product_listing import CAP, WALK, WIDE_CAP


@pytest.fixture
def capped_repository(engine: Engine) -> Iterator[SqlProductRepository]:
    with engine.connect() as conn, conn.begin():
        yield SqlProductRepository(conn, count_cap=CAP)


@pytest.fixture
def walking_repository(engine: Engine) -> Iterator[SqlProductRepository]:
    with engine.connect() as conn, conn.begin():
        yield SqlProductRepository(conn, count_cap=WIDE_CAP, count_walk=WALK)
