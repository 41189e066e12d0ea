"""SqlProductRepository.delete_all on PostgreSQL: TRUNCATE when it can get the table quickly,
an MVCC DELETE when a reader holds it; either way one count and one event."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, func, select, text

from acme.adapters.clock import SystemClock
from acme.adapters.sqlalchemy.engine import build_engine
from acme.adapters.sqlalchemy.tables import outbox_events, products
from acme.adapters.sqlalchemy.uow import SqlUnitOfWork
from acme.application import products as uc
from tests.databases import empty_tables


@pytest.fixture
def pg(postgres_url: str) -> Iterator[Engine]:
    empty_tables(postgres_url)
    engine = build_engine(postgres_url)
    yield engine
    engine.dispose()
    empty_tables(postgres_url)


def _seed(engine: Engine, n: int) -> list[int]:
    clock = SystemClock()
    return [
        uc.create_product(lambda: SqlUnitOfWork(engine), clock, uc.NewProduct(f"D-{i}", "n")).id
        or 0
        for i in range(n)
    ]


def _count(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(products)).scalar_one())


def _events(engine: Engine) -> list[tuple[str, object]]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(outbox_events.c.type, outbox_events.c.payload).order_by(outbox_events.c.id)
        )
        return [(r.type, r.payload["data"]) for r in rows if r.type == "products.deleted_all"]


def test_truncate_path_counts_and_keeps_ids_growing(pg: Engine) -> None:
    ids = _seed(pg, 4)
    assert uc.delete_all_products(lambda: SqlUnitOfWork(pg), SystemClock(), confirm=True) == 4
    assert _count(pg) == 0
    assert _events(pg) == [("products.deleted_all", {"deleted": 4})]
    # ids are never reused, so a webhook consumer's product ids stay unambiguous
    again = _seed(pg, 1)
    assert again[0] > max(ids)


def test_a_reader_holding_the_table_gets_the_delete_fallback(pg: Engine) -> None:
    _seed(pg, 3)
    with pg.connect() as reader:
        reader.begin()
        # an open transaction that read the table holds ACCESS SHARE until it ends
        assert reader.execute(text("SELECT count(*) FROM products")).scalar_one() == 3
        deleted = uc.delete_all_products(lambda: SqlUnitOfWork(pg), SystemClock(), confirm=True)
        assert deleted == 3
        # MVCC: the reader's snapshot-per-statement still works, and now sees the commit
        assert reader.execute(text("SELECT count(*) FROM products")).scalar_one() == 0
        reader.rollback()
    assert _count(pg) == 0
    assert _events(pg) == [("products.deleted_all", {"deleted": 3})]
    # the session setting does not leak into the pool
    with pg.connect() as conn:
        assert conn.execute(text("SHOW lock_timeout")).scalar_one() == "0"


def test_empty_catalog_deletes_nothing(pg: Engine) -> None:
    assert uc.delete_all_products(lambda: SqlUnitOfWork(pg), SystemClock(), confirm=True) == 0
    assert _events(pg) == [("products.deleted_all", {"deleted": 0})]
