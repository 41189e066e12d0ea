"""The shared run_import suite on PostgreSQL with the 'swap' merge strategy forced (a new
table built and indexed in bulk, renamed in at commit), plus PostgreSQL-only checks: the
swapped table keeps every index and id, and concurrent imports with overlapping SKUs finish."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from acme.adapters.sqlalchemy.bulk_postgres import PostgresBulkWriter
from acme.adapters.sqlalchemy.uow import SqlUnitOfWork
from acme.adapters.storage.local import LocalFileStorage
from acme.application.csv_import import run_import
from acme.domain.import_job import ImportStatus
from tests.fakes import FakeClock
from tests.integration.postgres_import import ONLY_POSTGRESQL, schema
from tests.suites.csv_import import *  # noqa: F403
from tests.suites.csv_import import (
    OVERLAPPING_FILES,
    catalog,
    do_import,
    import_at_once,
    submit,
)

pytestmark = ONLY_POSTGRESQL


@pytest.fixture(params=["swap", "in_place"])
def strategy(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def uow_factory(engine: Engine, strategy: str) -> Callable[[], SqlUnitOfWork]:
    return lambda: SqlUnitOfWork(engine, bulk_options={"force_strategy": strategy})


@pytest.fixture
def storage(tmp_path: Path) -> LocalFileStorage:
    return LocalFileStorage(tmp_path / "uploads")


def test_swap_keeps_every_index_ids_and_the_sequence(
    engine: Engine, uow_factory: Callable[[], SqlUnitOfWork], storage: LocalFileStorage
) -> None:
    clock = FakeClock()
    before = schema(engine)
    first = do_import(uow_factory, storage, clock, b"sku,name\na,A\nb,B\n")
    with engine.connect() as conn:
        ids = {r[0]: r[1] for r in conn.execute(text("SELECT sku_key, id FROM products"))}
    second = do_import(uow_factory, storage, clock, b"sku,name,active\nB,Bee,no\nc,C,yes\n")
    assert first.status is second.status is ImportStatus.COMPLETED
    assert schema(engine) == before
    with engine.connect() as conn:
        after = {r[0]: r[1] for r in conn.execute(text("SELECT sku_key, id FROM products"))}
        constraints = set(
            conn.execute(
                text("SELECT conname FROM pg_constraint WHERE conrelid = 'products'::regclass")
            ).scalars()
        )
    assert after["a"] == ids["a"] and after["b"] == ids["b"]
    assert after["c"] > max(ids.values())
    assert "products_pkey" in constraints
    assert catalog(uow_factory)["b"] == ("B", "Bee", "", False)


def test_concurrent_imports_with_overlapping_skus_both_finish(
    uow_factory: Callable[[], SqlUnitOfWork], storage: LocalFileStorage
) -> None:
    statuses = import_at_once(uow_factory, storage, OVERLAPPING_FILES)
    assert set(statuses.values()) == {ImportStatus.COMPLETED}
    products = catalog_all(uow_factory)
    assert len(products) == 3001  # S-0 .. S-3000, one product per case-insensitive SKU
    winners = {name.split()[0] for name in products.values()}
    assert winners <= {"first", "second"}


def catalog_all(uow_factory: Callable[[], SqlUnitOfWork]) -> dict[str, str]:
    with uow_factory() as uow:
        conn = uow.connection
        return {r[0]: r[1] for r in conn.execute(text("SELECT sku_key, name FROM products"))}


def test_staging_tables_of_a_dead_import_are_dropped_and_live_ones_kept(
    engine: Engine, uow_factory: Callable[[], SqlUnitOfWork], storage: LocalFileStorage
) -> None:
    with engine.connect() as conn:
        conn.execute(text("CREATE UNLOGGED TABLE acme_stage_dead00 (line bigint)"))
        conn.execute(text("CREATE UNLOGGED TABLE acme_stage_alive0 (line bigint)"))
        conn.commit()
    with engine.connect() as holder:  # a live import's session holds its advisory lock
        holder.execute(text("SELECT pg_advisory_lock(hashtext('alive0'))"))
        job = do_import(uow_factory, storage, FakeClock(), b"sku,name\na,A\n")
        with engine.connect() as conn:
            left = set(
                conn.execute(
                    text("SELECT relname FROM pg_class WHERE relname LIKE 'acme_stage_%'")
                ).scalars()
            )
        holder.execute(text("SELECT pg_advisory_unlock_all()"))
    assert job.status is ImportStatus.COMPLETED
    assert left == {"acme_stage_alive0"}
    with engine.connect() as conn:
        conn.execute(text("DROP TABLE acme_stage_alive0"))
        conn.commit()


def test_cancel_noticed_while_merging_rolls_everything_back(
    engine: Engine,
    uow_factory: Callable[[], SqlUnitOfWork],
    storage: LocalFileStorage,
    published: Callable[[], list[str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = FakeClock()
    do_import(uow_factory, storage, clock, b"sku,name\nkeep,Kept\n")
    before = schema(engine)
    job_id = submit(uow_factory, storage, clock, b"sku,name\nkeep,Changed\nnew,New\n")
    original = PostgresBulkWriter._count

    def count_then_cancel(self: PostgresBulkWriter, win: str) -> object:
        with uow_factory() as uow:  # someone presses "cancel" while the merge runs
            job = uow.imports.get(job_id)
            assert job is not None
            job.request_cancel(clock.now())
            uow.imports.update(job)
            uow.commit()
        return original(self, win)

    monkeypatch.setattr(PostgresBulkWriter, "_count", count_then_cancel)
    job = run_import(job_id, uow_factory=uow_factory, storage=storage, clock=clock)
    assert job.status is ImportStatus.CANCELLED
    assert catalog(uow_factory) == {"keep": ("keep", "Kept", "", True)}
    assert published() == ["import.completed"]
    assert schema(engine) == before
    monkeypatch.undo()
    again = do_import(uow_factory, storage, clock, b"sku,name\nnew,New\n")
    assert again.status is ImportStatus.COMPLETED and again.created == 1


def test_a_failed_swap_leaves_no_new_table_behind(
    engine: Engine,
    storage: LocalFileStorage,
    published: Callable[[], list[str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def swapping() -> SqlUnitOfWork:
        return SqlUnitOfWork(engine, bulk_options={"force_strategy": "swap"})

    clock = FakeClock()
    do_import(swapping, storage, clock, b"sku,name\nkeep,Kept\n")
    before = schema(engine)

    def broken(self: PostgresBulkWriter, *args: object) -> object:
        raise RuntimeError("index build failed")

    monkeypatch.setattr(PostgresBulkWriter, "_build_indexes", broken)
    job = do_import(swapping, storage, clock, b"sku,name\nkeep,Changed\nnew,New\n")
    assert job.status is ImportStatus.FAILED
    assert catalog(swapping) == {"keep": ("keep", "Kept", "", True)}
    assert published() == ["import.completed", "import.failed"]
    assert schema(engine) == before
    with engine.connect() as conn:
        left = conn.execute(
            text("SELECT count(*) FROM pg_class WHERE relname = 'acme_products_new'")
        ).scalar()
    assert left == 0
