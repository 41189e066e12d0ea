"""ImportJob transitions that recovery and retry rely on."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from acme.domain.errors import InvalidStateError
from acme.domain.import_job import ImportCounts, ImportJob, ImportPhase, ImportStatus

T0 = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)


def _running() -> ImportJob:
    job = ImportJob(filename="a.csv", storage_key="imports/a", bytes_total=100, created_at=T0)
    job.start(T0)
    job.advance(T0, phase=ImportPhase.MERGING, percent=70.0, bytes_done=100, rows_done=9)
    return job


def test_requeue_puts_a_running_job_back_in_the_queue_and_keeps_its_attempts() -> None:
    job = _running()
    later = T0 + timedelta(minutes=5)
    job.requeue(later)
    assert (job.status, job.phase, job.percent, job.bytes_done, job.rows_done) == (
        ImportStatus.QUEUED,
        ImportPhase.QUEUED,
        0.0,
        0,
        0,
    )
    assert (job.attempts, job.heartbeat_at) == (1, later)
    job.start(later)
    assert job.attempts == 2


@pytest.mark.parametrize("finish", ["queued", "completed", "failed"])
def test_only_a_running_job_can_be_requeued(finish: str) -> None:
    job = ImportJob(filename="a.csv", storage_key="imports/a", bytes_total=1, created_at=T0)
    if finish != "queued":
        job.start(T0)
        if finish == "completed":
            job.complete(ImportCounts(rows_total=1, created=1), T0)
        else:
            job.fail("boom", T0)
    with pytest.raises(InvalidStateError, match=f"cannot requeue an import that is {finish}"):
        job.requeue(T0)


def test_retry_starts_attempts_afresh() -> None:
    job = _running()
    job.requeue(T0)
    job.start(T0)
    job.fail("the worker stopped", T0)
    job.retry(T0)
    assert (job.status, job.attempts) == (ImportStatus.QUEUED, 0)


def test_a_running_job_is_held_by_its_worker_until_its_heartbeat_goes_stale() -> None:
    job = _running()
    stale_after = timedelta(seconds=120)
    assert job.held_by_a_live_worker(T0 + timedelta(seconds=119), stale_after)
    assert not job.held_by_a_live_worker(T0 + timedelta(seconds=120), stale_after)
    job.advance(T0 + timedelta(seconds=100), phase=ImportPhase.MERGING, percent=80.0)
    assert job.held_by_a_live_worker(T0 + timedelta(seconds=200), stale_after)
    queued = ImportJob(filename="a.csv", storage_key="imports/a", bytes_total=1, created_at=T0)
    assert not queued.held_by_a_live_worker(T0, stale_after)
    job.complete(ImportCounts(1, 1, 0, 0, 0, 0), T0 + timedelta(seconds=201))
    assert not job.held_by_a_live_worker(T0 + timedelta(seconds=201), stale_after)
