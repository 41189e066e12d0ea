"""SqlUnitOfWork.commit: durable by default; ``durable=False`` still commits, for this
transaction only."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import text

from acme.adapters.sqlalchemy.engine import build_engine
from acme.adapters.sqlalchemy.uow import SqlUnitOfWork
from acme.domain.import_job import ImportJob
from tests.databases import empty_tables
from tests.fakes import FakeClock


def _job(clock: FakeClock) -> ImportJob:
    return ImportJob(filename="a.csv", storage_key="a", bytes_total=1, created_at=clock.now())


def test_a_commit_that_does_not_wait_for_the_disk_is_still_a_commit(
    uow_factory: Callable[[], SqlUnitOfWork],
) -> None:
    job = _job(FakeClock())
    with uow_factory() as uow:
        uow.imports.add(job)
        uow.commit(durable=False)
    with uow_factory() as other:
        assert other.imports.get(job.id) == job


def test_not_waiting_for_the_disk_lasts_one_transaction(postgres_url: str) -> None:
    """PostgreSQL only: SQLite has no per-transaction durability setting."""
    empty_tables(postgres_url)
    engine = build_engine(postgres_url)
    clock = FakeClock()
    try:
        with SqlUnitOfWork(engine) as uow:
            seen_inside: list[str] = []
            uow.imports.add(_job(clock))
            original = uow.connection.commit

            def commit() -> None:
                seen_inside.append(uow.connection.execute(text("SHOW synchronous_commit")).scalar())
                original()

            uow.connection.commit = commit  # type: ignore[method-assign]
            uow.commit(durable=False)
            after = uow.connection.execute(text("SHOW synchronous_commit")).scalar()
        assert seen_inside == ["off"]
        assert after == "on"
        with SqlUnitOfWork(engine) as uow:
            uow.imports.add(_job(clock))
            uow.commit()
            assert uow.connection.execute(text("SHOW synchronous_commit")).scalar() == "on"
    finally:
        engine.dispose()
        empty_tables(postgres_url)
