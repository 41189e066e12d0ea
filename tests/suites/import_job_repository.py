"""ImportJobRepository contract, run against the fake (tests/unit) and the SQL adapter on
SQLite and PostgreSQL (tests/integration). Needs a ``uow_factory`` fixture."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from acme.application.ports import RowError, UnitOfWork
from acme.domain.import_job import ImportCounts, ImportJob, ImportPhase, ImportStatus

UowFactory = Callable[[], UnitOfWork]
T0 = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


def _job(name: str = "products.csv", at: datetime = T0) -> ImportJob:
    return ImportJob(filename=name, storage_key=f"uploads/{name}", bytes_total=1234, created_at=at)


def test_add_then_get_round_trips_a_new_job(uow_factory: UowFactory) -> None:
    job = _job()
    with uow_factory() as uow:
        uow.imports.add(job)
        uow.commit()
    with uow_factory() as uow:
        got = uow.imports.get(job.id)
    assert got == job
    assert got is not None and got.status is ImportStatus.QUEUED
    assert got.created_at.tzinfo is not None


def test_update_round_trips_every_field(uow_factory: UowFactory) -> None:
    job = _job()
    with uow_factory() as uow:
        uow.imports.add(job)
        uow.commit()
    job.start(T0 + timedelta(seconds=1))
    job.advance(T0 + timedelta(seconds=2), phase=ImportPhase.MERGING, percent=42.5, bytes_done=99)
    job.warnings = ["unknown column 'colour' ignored"]
    job.complete(ImportCounts(10, 4, 3, 1, 1, 1), T0 + timedelta(seconds=3))
    with uow_factory() as uow:
        uow.imports.update(job)
        uow.commit()
    with uow_factory() as uow:
        got = uow.imports.get(job.id)
    assert got == job
    assert got is not None
    assert (got.created, got.updated, got.unchanged, got.invalid, got.duplicates_in_file) == (
        4,
        3,
        1,
        1,
        1,
    )
    assert got.warnings == ["unknown column 'colour' ignored"]


def test_uncommitted_job_is_not_stored(uow_factory: UowFactory) -> None:
    job = _job()
    with uow_factory() as uow:
        uow.imports.add(job)
    with uow_factory() as uow:
        assert uow.imports.get(job.id) is None


def test_list_recent_is_newest_first_and_limited(uow_factory: UowFactory) -> None:
    jobs = [_job(f"f{i}.csv", T0 + timedelta(minutes=i)) for i in range(4)]
    with uow_factory() as uow:
        for job in jobs:
            uow.imports.add(job)
        uow.commit()
    with uow_factory() as uow:
        recent = uow.imports.list_recent(3)
    assert [j.filename for j in recent] == ["f3.csv", "f2.csv", "f1.csv"]


def test_errors_come_back_in_line_order_and_can_be_cleared(uow_factory: UowFactory) -> None:
    job, other = _job("a.csv"), _job("b.csv")
    errors = [
        RowError(line=7, sku="B-2", column="name", reason="name must not be empty"),
        RowError(line=3, sku="", column="sku", reason="SKU must not be empty"),
    ]
    with uow_factory() as uow:
        uow.imports.add(job)
        uow.imports.add(other)
        uow.imports.add_errors(job.id, iter(errors))
        uow.imports.add_errors(other.id, [RowError(2, "x", "active", "bad")])
        uow.commit()
    with uow_factory() as uow:
        assert list(uow.imports.iter_errors(job.id)) == [errors[1], errors[0]]
        uow.imports.clear_errors(job.id)
        uow.commit()
    with uow_factory() as uow:
        assert list(uow.imports.iter_errors(job.id)) == []
        assert [e.sku for e in uow.imports.iter_errors(other.id)] == ["x"]
