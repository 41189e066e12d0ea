"""Import orchestration use cases (submit, get, list, cancel, retry, execute, recover), run
against the fakes (tests/unit) and the real SQL adapters on PostgreSQL and SQLite with local
file storage (tests/integration). Each test takes:

- ``uow_factory``: a fresh UnitOfWork on empty tables
- ``storage``: a FileStorage with nothing in it
- ``queue``: a FakeTaskQueue (records what was enqueued)
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from acme.application import import_jobs as uc
from acme.application.ports import FileStorage, RowError, UnitOfWork
from acme.domain.errors import ConflictError, InvalidStateError, NotFoundError, ValidationError
from acme.domain.import_job import ImportCounts, ImportJob, ImportPhase, ImportStatus
from tests.fakes import FakeClock, FakeTaskQueue

UowFactory = Callable[[], UnitOfWork]
CSV = b"sku,name\nA-1,Chair\nA-2,Table\n"
STALE = timedelta(seconds=60)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def _submit(
    uow_factory: UowFactory,
    storage: FileStorage,
    queue: FakeTaskQueue,
    clock: FakeClock,
    data: bytes = CSV,
    name: str = "products.csv",
) -> ImportJob:
    chunks = [data[i : i + 7] for i in range(0, len(data), 7)]
    return uc.submit_import(uow_factory, storage, queue, clock, filename=name, chunks=chunks)


def _save(uow_factory: UowFactory, job: ImportJob) -> None:
    with uow_factory() as uow:
        uow.imports.update(job)
        uow.commit()


def _stored(uow_factory: UowFactory, job_id: str) -> ImportJob:
    with uow_factory() as uow:
        job = uow.imports.get(job_id)
    assert job is not None
    return job


def _running(
    uow_factory: UowFactory, storage: FileStorage, queue: FakeTaskQueue, clock: FakeClock
) -> ImportJob:
    job = _submit(uow_factory, storage, queue, clock)
    job.start(clock.now())
    job.advance(clock.now(), phase=ImportPhase.PARSING, percent=40.0, bytes_done=10, rows_done=1)
    _save(uow_factory, job)
    return job


def _read(storage: FileStorage, key: str) -> bytes:
    with storage.open(key) as f:
        return f.read()


# submit ------------------------------------------------------------------------------------


def test_submit_stores_the_file_creates_a_queued_job_and_enqueues_it(
    uow_factory: UowFactory, storage: FileStorage, queue: FakeTaskQueue, clock: FakeClock
) -> None:
    job = _submit(uow_factory, storage, queue, clock, name="C:\\exports\\Catalog.CSV")
    assert job.storage_key == f"imports/{job.id}"
    assert _read(storage, job.storage_key) == CSV
    stored = _stored(uow_factory, job.id)
    assert (stored.status, stored.phase, stored.bytes_total, stored.filename) == (
        ImportStatus.QUEUED,
        ImportPhase.QUEUED,
        len(CSV),
        "Catalog.CSV",
    )
    assert queue.enqueued == [job.id]


def test_an_empty_upload_is_refused_and_leaves_nothing(
    uow_factory: UowFactory, storage: FileStorage, queue: FakeTaskQueue, clock: FakeClock
) -> None:
    with pytest.raises(ValidationError, match=r"'empty\.csv' is empty"):
        _submit(uow_factory, storage, queue, clock, data=b"", name="empty.csv")
    assert uc.list_imports(uow_factory) == []
    assert queue.enqueued == []


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("photo.png", CSV, r"'photo\.png' is not a CSV file"),
        ("catalog.csv", b"PK\x03\x04" + b"x" * 50, "contains binary data"),
        ("catalog.csv", b"sku,name\n\x00\x01\x02", "contains binary data"),
        ("", CSV, "no file name"),
    ],
)
def test_a_non_csv_upload_is_refused(
    uow_factory: UowFactory,
    storage: FileStorage,
    queue: FakeTaskQueue,
    clock: FakeClock,
    name: str,
    data: bytes,
    message: str,
) -> None:
    with pytest.raises(ValidationError, match=message):
        _submit(uow_factory, storage, queue, clock, data=data, name=name)
    assert uc.list_imports(uow_factory) == []
    assert queue.enqueued == []


def test_a_broker_that_cannot_be_reached_fails_the_job_with_a_message(
    uow_factory: UowFactory, storage: FileStorage, queue: FakeTaskQueue, clock: FakeClock
) -> None:
    queue.fail_with = ConnectionError("connection refused")
    job = _submit(uow_factory, storage, queue, clock)
    stored = _stored(uow_factory, job.id)
    assert stored.status is ImportStatus.FAILED
    assert stored.error is not None and "broker" in stored.error
    assert job.status is ImportStatus.FAILED


def test_submit_stored_import_queues_a_file_already_in_storage(
    uow_factory: UowFactory, storage: FileStorage, queue: FakeTaskQueue, clock: FakeClock
) -> None:
    storage.write("uploads/abc", [CSV])
    job = uc.submit_stored_import(
        uow_factory, storage, queue, clock, storage_key="uploads/abc", filename="big.csv"
    )
    stored = _stored(uow_factory, job.id)
    assert (stored.storage_key, stored.bytes_total, stored.status) == (
        "uploads/abc",
        len(CSV),
        ImportStatus.QUEUED,
    )
    assert queue.enqueued == [job.id]


def test_submit_stored_import_of_a_missing_or_empty_file_is_refused(
    uow_factory: UowFactory, storage: FileStorage, queue: FakeTaskQueue, clock: FakeClock
) -> None:
    with pytest.raises(NotFoundError, match="uploads/nope"):
        uc.submit_stored_import(
            uow_factory, storage, queue, clock, storage_key="uploads/nope", filename="a.csv"
        )
    storage.write("uploads/empty", [])
    with pytest.raises(ValidationError, match="is empty"):
        uc.submit_stored_import(
            uow_factory, storage, queue, clock, storage_key="uploads/empty", filename="a.csv"
        )
    assert queue.enqueued == []


# read --------------------------------------------------------------------------------------


def test_get_of_an_unknown_import_is_not_found(uow_factory: UowFactory) -> None:
    with pytest.raises(NotFoundError, match="import nope not found"):
        uc.get_import(uow_factory, "nope")


def test_list_is_newest_first_and_limited(
    uow_factory: UowFactory, storage: FileStorage, queue: FakeTaskQueue, clock: FakeClock
) -> None:
    ids = [_submit(uow_factory, storage, queue, clock, name=f"f{i}.csv").id for i in range(3)]
    assert [j.id for j in uc.list_imports(uow_factory)] == ids[::-1]
    assert [j.id for j in uc.list_imports(uow_factory, limit=2)] == ids[:0:-1]
    with pytest.raises(ValidationError, match="limit"):
        uc.list_imports(uow_factory, limit=0)


def test_import_errors_are_streamed_in_line_order(
    uow_factory: UowFactory, storage: FileStorage, queue: FakeTaskQueue, clock: FakeClock
) -> None:
    job = _submit(uow_factory, storage, queue, clock)
    with uow_factory() as uow:
        uow.imports.add_errors(
            job.id,
            [RowError(9, "B", "name", "name is required"), RowError(3, "A", "sku", "too long")],
        )
        uow.commit()
    assert [e.line for e in uc.import_errors(uow_factory, job.id)] == [3, 9]
    with pytest.raises(NotFoundError):
        uc.import_errors(uow_factory, "missing")


# cancel ------------------------------------------------------------------------------------


def test_cancelling_a_queued_import_cancels_it_at_once(
    uow_factory: UowFactory, storage: FileStorage, queue: FakeTaskQueue, clock: FakeClock
) -> None:
    job = _submit(uow_factory, storage, queue, clock)
    uc.cancel_import(uow_factory, clock, job.id)
    stored = _stored(uow_factory, job.id)
    assert (stored.status, stored.phase) == (ImportStatus.CANCELLED, ImportPhase.CANCELLED)
    assert stored.finished_at is not None


def test_cancelling_a_running_import_asks_it_to_stop(
    uow_factory: UowFactory, storage: FileStorage, queue: FakeTaskQueue, clock: FakeClock
) -> None:
    job = _running(uow_factory, storage, queue, clock)
    uc.cancel_import(uow_factory, clock, job.id)
    stored = _stored(uow_factory, job.id)
    assert stored.status is ImportStatus.RUNNING
    assert stored.cancel_requested is True


def test_cancelling_a_finished_import_is_a_conflict_that_says_why(
    uow_factory: UowFactory, storage: FileStorage, queue: FakeTaskQueue, clock: FakeClock
) -> None:
    job = _running(uow_factory, storage, queue, clock)
    job.complete(ImportCounts(rows_total=2, created=2), clock.now())
    _save(uow_factory, job)
    with pytest.raises(InvalidStateError, match="already completed; only queued or running"):
        uc.cancel_import(uow_factory, clock, job.id)
    with pytest.raises(NotFoundError):
        uc.cancel_import(uow_factory, clock, "missing")


# retry -------------------------------------------------------------------------------------


def test_retrying_a_failed_import_clears_its_errors_and_queues_it_again(
    uow_factory: UowFactory, storage: FileStorage, queue: FakeTaskQueue, clock: FakeClock
) -> None:
    job = _running(uow_factory, storage, queue, clock)
    job.fail("line 3: unterminated quote", clock.now())
    _save(uow_factory, job)
    with uow_factory() as uow:
        uow.imports.add_errors(job.id, [RowError(2, "A", "name", "name is required")])
        uow.commit()
    uc.retry_import(uow_factory, storage, queue, clock, job.id)
    stored = _stored(uow_factory, job.id)
    assert (stored.status, stored.phase, stored.error, stored.attempts) == (
        ImportStatus.QUEUED,
        ImportPhase.QUEUED,
        None,
        0,
    )
    assert list(uc.import_errors(uow_factory, job.id)) == []
    assert queue.enqueued == [job.id, job.id]


def test_retrying_a_cancelled_import_queues_it_again(
    uow_factory: UowFactory, storage: FileStorage, queue: FakeTaskQueue, clock: FakeClock
) -> None:
    job = _submit(uow_factory, storage, queue, clock)
    uc.cancel_import(uow_factory, clock, job.id)
    uc.retry_import(uow_factory, storage, queue, clock, job.id)
    assert _stored(uow_factory, job.id).status is ImportStatus.QUEUED


def test_retrying_an_import_that_did_not_fail_is_a_conflict(
    uow_factory: UowFactory, storage: FileStorage, queue: FakeTaskQueue, clock: FakeClock
) -> None:
    job = _submit(uow_factory, storage, queue, clock)
    with pytest.raises(InvalidStateError, match="only failed or cancelled imports"):
        uc.retry_import(uow_factory, storage, queue, clock, job.id)
    assert queue.enqueued == [job.id]


def test_retrying_when_the_file_is_gone_is_a_conflict_naming_the_file(
    uow_factory: UowFactory, storage: FileStorage, queue: FakeTaskQueue, clock: FakeClock
) -> None:
    job = _submit(uow_factory, storage, queue, clock, name="gone.csv")
    uc.cancel_import(uow_factory, clock, job.id)
    storage.delete(job.storage_key)
    with pytest.raises(ConflictError, match=r"upload 'gone\.csv' again"):
        uc.retry_import(uow_factory, storage, queue, clock, job.id)
    assert _stored(uow_factory, job.id).status is ImportStatus.CANCELLED


# execute -----------------------------------------------------------------------------------


def _completing_runner(
    uow_factory: UowFactory, clock: FakeClock, calls: list[str]
) -> Callable[[str], object]:
    """Stands in for run_import: starts the job and completes it."""

    def run(job_id: str) -> None:
        calls.append(job_id)
        job = _stored(uow_factory, job_id)
        job.start(clock.now())
        job.complete(ImportCounts(rows_total=2, created=2), clock.now())
        _save(uow_factory, job)

    return run


def test_execute_runs_a_queued_import(
    uow_factory: UowFactory, storage: FileStorage, queue: FakeTaskQueue, clock: FakeClock
) -> None:
    job = _submit(uow_factory, storage, queue, clock)
    calls: list[str] = []
    done = uc.execute_import(
        uow_factory, clock, _completing_runner(uow_factory, clock, calls), job.id
    )
    assert calls == [job.id]
    assert done is not None and done.status is ImportStatus.COMPLETED and done.created == 2


def test_execute_drops_finished_unknown_and_live_duplicates(
    uow_factory: UowFactory, storage: FileStorage, queue: FakeTaskQueue, clock: FakeClock
) -> None:
    calls: list[str] = []
    run = _completing_runner(uow_factory, clock, calls)
    finished = _submit(uow_factory, storage, queue, clock)
    uc.cancel_import(uow_factory, clock, finished.id)
    live = _running(uow_factory, storage, queue, clock)
    assert uc.execute_import(uow_factory, clock, run, finished.id, stale_after=STALE) is None
    assert uc.execute_import(uow_factory, clock, run, live.id, stale_after=STALE) is None
    assert uc.execute_import(uow_factory, clock, run, "missing", stale_after=STALE) is None
    assert calls == []
    assert _stored(uow_factory, live.id).status is ImportStatus.RUNNING


def test_execute_restarts_a_job_left_running_by_a_dead_worker(
    uow_factory: UowFactory, storage: FileStorage, queue: FakeTaskQueue, clock: FakeClock
) -> None:
    job = _running(uow_factory, storage, queue, clock)
    clock.current += STALE * 2
    calls: list[str] = []
    done = uc.execute_import(
        uow_factory, clock, _completing_runner(uow_factory, clock, calls), job.id, stale_after=STALE
    )
    assert calls == [job.id]
    assert done is not None and done.status is ImportStatus.COMPLETED
    assert done.attempts == 2


def test_execute_fails_the_job_when_the_runner_crashes(
    uow_factory: UowFactory, storage: FileStorage, queue: FakeTaskQueue, clock: FakeClock
) -> None:
    job = _submit(uow_factory, storage, queue, clock)

    def crash(job_id: str) -> None:
        raise RuntimeError("disk on fire")

    done = uc.execute_import(uow_factory, clock, crash, job.id)
    assert done is not None and done.status is ImportStatus.FAILED
    assert done.error == "the import crashed: disk on fire"


# recover -----------------------------------------------------------------------------------


def test_recovery_requeues_a_stale_running_job_and_keeps_its_attempts(
    uow_factory: UowFactory, storage: FileStorage, queue: FakeTaskQueue, clock: FakeClock
) -> None:
    stale = _running(uow_factory, storage, queue, clock)
    clock.current += STALE * 2
    fresh = _running(uow_factory, storage, queue, clock)
    queue.enqueued.clear()
    report = uc.recover_stale_imports(uow_factory, queue, clock, stale_after=STALE, max_attempts=3)
    assert report.requeued == [stale.id]
    assert queue.enqueued == [stale.id]
    requeued = _stored(uow_factory, stale.id)
    assert (requeued.status, requeued.phase, requeued.attempts, requeued.percent) == (
        ImportStatus.QUEUED,
        ImportPhase.QUEUED,
        1,
        0.0,
    )
    assert _stored(uow_factory, fresh.id).status is ImportStatus.RUNNING


def test_recovery_fails_a_job_interrupted_too_often_with_a_clear_message(
    uow_factory: UowFactory, storage: FileStorage, queue: FakeTaskQueue, clock: FakeClock
) -> None:
    job = _running(uow_factory, storage, queue, clock)
    for _ in range(2):  # two more attempts, each left running by a dead worker
        clock.current += STALE * 2
        uc.recover_stale_imports(uow_factory, queue, clock, stale_after=STALE, max_attempts=3)
        again = _stored(uow_factory, job.id)
        again.start(clock.now())
        _save(uow_factory, again)
    clock.current += STALE * 2
    queue.enqueued.clear()
    report = uc.recover_stale_imports(uow_factory, queue, clock, stale_after=STALE, max_attempts=3)
    assert report.failed == [job.id]
    assert queue.enqueued == []
    failed = _stored(uow_factory, job.id)
    assert failed.status is ImportStatus.FAILED
    assert failed.error is not None
    assert "stopped 3 time(s) without finishing" in failed.error
    assert "catalog is unchanged" in failed.error


def test_recovery_marks_a_stale_job_whose_cancel_was_requested_cancelled(
    uow_factory: UowFactory, storage: FileStorage, queue: FakeTaskQueue, clock: FakeClock
) -> None:
    job = _running(uow_factory, storage, queue, clock)
    uc.cancel_import(uow_factory, clock, job.id)
    clock.current += STALE * 2
    report = uc.recover_stale_imports(uow_factory, queue, clock, stale_after=STALE)
    assert report.cancelled == [job.id]
    assert _stored(uow_factory, job.id).status is ImportStatus.CANCELLED


def test_recovery_resends_queued_jobs_only_when_asked_and_not_skipped(
    uow_factory: UowFactory, storage: FileStorage, queue: FakeTaskQueue, clock: FakeClock
) -> None:
    left = _submit(uow_factory, storage, queue, clock)
    mine = _submit(uow_factory, storage, queue, clock)
    queue.enqueued.clear()
    assert not uc.recover_stale_imports(uow_factory, queue, clock, stale_after=timedelta(0)).changed
    report = uc.recover_stale_imports(
        uow_factory, queue, clock, stale_after=timedelta(0), resend_queued=True, skip={mine.id}
    )
    assert report.resent == [left.id]
    assert queue.enqueued == [left.id]
    assert _stored(uow_factory, left.id).status is ImportStatus.QUEUED
