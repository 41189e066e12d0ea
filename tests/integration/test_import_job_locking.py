"""A cancel request must survive a progress write that races it (PostgreSQL row locks)."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from acme.adapters.sqlalchemy.engine import build_engine
from acme.adapters.sqlalchemy.uow import SqlUnitOfWork
from acme.application.import_jobs import cancel_import
from acme.domain.import_job import ImportJob, ImportPhase
from tests.databases import empty_tables
from tests.fakes import FakeClock


@pytest.fixture
def pg_engine(postgres_url: str) -> Iterator[Engine]:
    empty_tables(postgres_url)
    engine = build_engine(postgres_url)
    yield engine
    engine.dispose()
    empty_tables(postgres_url)


def test_cancel_is_not_lost_to_a_concurrent_progress_write(pg_engine: Engine) -> None:
    clock = FakeClock()
    job = ImportJob(
        filename="a.csv", storage_key="imports/a", bytes_total=10, created_at=clock.now()
    )
    job.start(clock.now())
    with SqlUnitOfWork(pg_engine) as uow:
        uow.imports.add(job)
        uow.commit()

    cancelled = threading.Event()

    def cancel() -> None:
        cancel_import(lambda: SqlUnitOfWork(pg_engine), clock, job.id)
        cancelled.set()

    # A progress checkpoint reads the job for update, then writes it back.
    with SqlUnitOfWork(pg_engine) as uow:
        current = uow.imports.get(job.id, for_update=True)
        assert current is not None
        canceller = threading.Thread(target=cancel)
        canceller.start()
        # The cancel waits for the row lock instead of slipping in between read and write.
        assert not cancelled.wait(0.5)
        current.advance(clock.now(), phase=ImportPhase.PARSING, percent=10.0)
        uow.imports.update(current)
        uow.commit()
    canceller.join(timeout=10)
    assert cancelled.is_set()
    with SqlUnitOfWork(pg_engine) as uow:
        stored = uow.imports.get(job.id)
    assert stored is not None
    assert stored.cancel_requested is True
    assert stored.percent == 10.0
