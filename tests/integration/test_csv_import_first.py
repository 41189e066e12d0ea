"""A first import into an empty PostgreSQL catalog is COPYed straight into the new table (the
'direct' strategy: no staging table), then indexed and swapped in. It must give what the staged
merge gives, leave the schema exactly as it was, and leave nothing behind when it stops."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, text

from acme.adapters.sqlalchemy.bulk_postgres import NEW_TABLE, PostgresBulkWriter
from acme.adapters.sqlalchemy.uow import SqlUnitOfWork
from acme.adapters.storage.local import LocalFileStorage
from acme.application import products as product_uc
from acme.domain.import_job import ImportStatus
from tests.databases import empty_tables
from tests.fakes import FakeClock
from tests.integration.postgres_import import ONLY_POSTGRESQL, schema
from tests.suites.csv_import import (
    OVERLAPPING_FILES,
    catalog,
    do_import,
    import_at_once,
    run_cancelled,
)
from tests.unit.test_csv_import import encode, record, reference

pytestmark = ONLY_POSTGRESQL


class _RecordingUow(SqlUnitOfWork):
    """Remembers every unit of work, so a test can read the strategy its merge used."""

    made: list[SqlUnitOfWork]

    def __init__(self, engine: Engine, made: list[SqlUnitOfWork]) -> None:
        super().__init__(engine)
        made.append(self)


@pytest.fixture
def made() -> list[SqlUnitOfWork]:
    return []


@pytest.fixture
def uow_factory(engine: Engine, made: list[SqlUnitOfWork]) -> Callable[[], SqlUnitOfWork]:
    return lambda: _RecordingUow(engine, made)


@pytest.fixture
def storage(tmp_path: Path) -> LocalFileStorage:
    return LocalFileStorage(tmp_path / "uploads")


def strategies(made: list[SqlUnitOfWork]) -> list[str]:
    used = (getattr(getattr(u, "bulk", None), "last_strategy", None) for u in made)
    return [s for s in used if s is not None]


def leftovers(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        return set(
            conn.execute(
                text(
                    "SELECT relname FROM pg_class WHERE relname = :new"
                    " OR relname LIKE 'acme\\_stage\\_%'"
                ),
                {"new": NEW_TABLE},
            ).scalars()
        )


def test_first_import_is_copied_straight_in_with_last_row_wins_and_the_same_schema(
    engine: Engine,
    uow_factory: Callable[[], SqlUnitOfWork],
    made: list[SqlUnitOfWork],
    storage: LocalFileStorage,
    published: Callable[[], list[str]],
) -> None:
    before = schema(engine)
    clock = FakeClock()
    data = b"sku,name,active\nabc,First,\nX,Other,no\nABC,Second,yes\nAbc,Third,\n"
    job = do_import(uow_factory, storage, clock, data)
    assert job.status is ImportStatus.COMPLETED, job.error
    assert strategies(made) == ["direct"]
    assert (job.rows_total, job.created, job.duplicates_in_file) == (4, 2, 2)
    assert catalog(uow_factory) == {
        "abc": ("Abc", "Third", "", True),  # no description column, empty active: defaults
        "x": ("X", "Other", "", False),
    }
    with engine.connect() as conn:
        stored = conn.execute(
            text("SELECT sku_key, created_at, updated_at FROM products ORDER BY id")
        ).all()
    # ids follow the file order of the winning rows; both timestamps are the import's clock
    assert [r.sku_key for r in stored] == ["x", "abc"]
    stamps = {(r.created_at, r.updated_at) for r in stored}
    assert len(stamps) == 1
    created_at, updated_at = stamps.pop()
    assert job.started_at is not None and job.finished_at is not None
    assert created_at == updated_at and job.started_at < created_at < job.finished_at
    assert schema(engine) == before
    assert leftovers(engine) == set()
    assert published() == ["import.completed"]
    # the sequence still serves new products, after the imported ids
    created = product_uc.create_product(
        uow_factory, clock, product_uc.NewProduct(sku="later", name="Later")
    )
    with engine.connect() as conn:
        top = conn.execute(text("SELECT max(id) FROM products WHERE sku_key <> 'later'")).scalar()
    assert created.id is not None and created.id > top


def test_the_next_import_merges_into_what_the_first_one_made(
    uow_factory: Callable[[], SqlUnitOfWork],
    made: list[SqlUnitOfWork],
    storage: LocalFileStorage,
) -> None:
    clock = FakeClock()
    do_import(uow_factory, storage, clock, b"sku,name,description\na,A,kept\nb,B,x\n")
    job = do_import(uow_factory, storage, clock, b"sku,name\nA,A2\nc,C\n")
    assert strategies(made) == ["direct", "in_place"]
    assert (job.created, job.updated, job.unchanged) == (1, 1, 0)
    assert catalog(uow_factory) == {
        "a": ("A", "A2", "kept", True),
        "b": ("b", "B", "x", True),
        "c": ("c", "C", "", True),
    }


def test_a_first_import_without_valid_rows_creates_nothing(
    engine: Engine,
    uow_factory: Callable[[], SqlUnitOfWork],
    made: list[SqlUnitOfWork],
    storage: LocalFileStorage,
) -> None:
    before = schema(engine)
    job = do_import(uow_factory, storage, FakeClock(), b"sku,name\n,no sku\nx,\n")
    assert job.status is ImportStatus.COMPLETED
    assert (job.created, job.invalid) == (0, 2)
    assert strategies(made) == ["none"]
    assert catalog(uow_factory) == {}
    assert schema(engine) == before and leftovers(engine) == set()


def test_cancel_while_copying_a_first_import_leaves_nothing_behind(
    engine: Engine,
    uow_factory: Callable[[], SqlUnitOfWork],
    storage: LocalFileStorage,
    published: Callable[[], list[str]],
) -> None:
    before = schema(engine)
    clock = FakeClock()
    job = run_cancelled(uow_factory, storage, clock)
    assert job.status is ImportStatus.CANCELLED
    assert catalog(uow_factory) == {}
    assert schema(engine) == before and leftovers(engine) == set()
    assert published() == []
    again = do_import(uow_factory, storage, clock, b"sku,name\nnew,New\n")
    assert again.status is ImportStatus.COMPLETED and again.created == 1


def test_a_failure_while_indexing_rolls_the_first_import_back(
    engine: Engine,
    uow_factory: Callable[[], SqlUnitOfWork],
    storage: LocalFileStorage,
    published: Callable[[], list[str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    before = schema(engine)

    def broken(self: PostgresBulkWriter, *args: object) -> object:
        raise RuntimeError("index build failed")

    monkeypatch.setattr(PostgresBulkWriter, "_build_indexes", broken)
    job = do_import(uow_factory, storage, FakeClock(), b"sku,name\na,A\nb,B\n")
    assert job.status is ImportStatus.FAILED
    assert job.error is not None and "index build failed" in job.error
    assert catalog(uow_factory) == {}
    assert published() == ["import.failed"]
    assert schema(engine) == before and leftovers(engine) == set()


def test_two_first_imports_at_once_both_finish_one_after_the_other(
    engine: Engine,
    uow_factory: Callable[[], SqlUnitOfWork],
    made: list[SqlUnitOfWork],
    storage: LocalFileStorage,
) -> None:
    statuses = import_at_once(uow_factory, storage, OVERLAPPING_FILES)
    assert set(statuses.values()) == {ImportStatus.COMPLETED}
    used = strategies(made)
    assert used.count("direct") == 1 and len(used) == 2  # the second merged into the first
    with engine.connect() as conn:
        keys = conn.execute(text("SELECT count(*), count(DISTINCT sku_key) FROM products")).one()
    assert tuple(keys) == (3001, 3001)  # S-0 .. S-3000, one product per case-insensitive SKU


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    rows=st.lists(record, max_size=12),
    with_description=st.booleans(),
    with_active=st.booleans(),
    crlf=st.booleans(),
)
def test_generated_first_imports_give_what_the_reference_model_predicts(
    database_url: str,
    uow_factory: Callable[[], SqlUnitOfWork],
    made: list[SqlUnitOfWork],
    storage: LocalFileStorage,
    rows: list[tuple[str, str, str, str]],
    with_description: bool,
    with_active: bool,
    crlf: bool,
) -> None:
    empty_tables(database_url)
    made.clear()
    expected, counts = reference({}, rows, with_description, with_active)
    data = encode(rows, desc=with_description, active=with_active, crlf=crlf)
    job = do_import(uow_factory, storage, FakeClock(), data)
    assert job.status is ImportStatus.COMPLETED, job.error
    assert strategies(made) == (["direct"] if expected else ["none"])
    assert catalog(uow_factory) == expected
    assert (job.created, job.invalid, job.duplicates_in_file) == (
        counts["created"],
        counts["invalid"],
        counts["duplicates_in_file"],
    )
