"""Import orchestration use cases: submit, read, list, cancel, retry, execute and recover.

The import itself (parse, validate, merge) is ``csv_import.run_import``; these use cases put
jobs in front of it (store the file, create the queued job, hand it to the task queue) and
keep the job table honest afterwards (a job whose worker died is re-queued a few times, then
failed with a message; never left "running" forever).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta

from acme.application.ports import Clock, FileStorage, RowError, TaskQueue, UnitOfWork
from acme.domain.errors import ConflictError, InvalidStateError, NotFoundError, ValidationError
from acme.domain.import_job import DEFAULT_STALE_AFTER, ImportJob, ImportStatus

log = logging.getLogger(__name__)

UowFactory = Callable[[], UnitOfWork]
ImportRunner = Callable[[str], object]
"""Runs one import to its end (``csv_import.run_import`` with its ports bound)."""

CSV_EXTENSIONS = (".csv", ".txt")
MAX_LIST = 200
SNIFF_BYTES = 8192
DEFAULT_MAX_ATTEMPTS = 3

# Leading bytes of common binary formats people upload by mistake.
_BINARY_MAGIC = (
    b"PK\x03\x04",  # zip, xlsx, docx
    b"\x1f\x8b",  # gzip
    b"%PDF",
    b"\x89PNG",
    b"\xff\xd8\xff",  # jpeg
    b"GIF8",
    b"\xd0\xcf\x11\xe0",  # legacy .xls/.doc
    b"BZh",
    b"7z\xbc\xaf",
)


def storage_key_for(job_id: str) -> str:
    return f"imports/{job_id}"


def _check_filename(filename: str) -> str:
    name = (filename or "").strip().replace("\\", "/").rsplit("/", 1)[-1]
    if not name:
        raise ValidationError("the upload has no file name; send a .csv file", field="file")
    if not name.lower().endswith(CSV_EXTENSIONS):
        raise ValidationError(
            f"'{name}' is not a CSV file; upload a .csv file (UTF-8, header row first)",
            field="file",
        )
    return name


def _looks_binary(head: bytes) -> bool:
    return b"\x00" in head[:SNIFF_BYTES] or head.startswith(_BINARY_MAGIC)


class _NotCsv(Exception):
    pass


def _checked(chunks: Iterable[bytes], name: str) -> Iterator[bytes]:
    """Pass chunks through, refusing a stream whose first 8 KiB are not text."""
    head = b""
    for chunk in chunks:
        if not chunk:
            continue
        if len(head) < SNIFF_BYTES:
            head += chunk[: SNIFF_BYTES - len(head)]
            if _looks_binary(head):
                raise _NotCsv(name)
        yield chunk


def _not_csv(name: str) -> ValidationError:
    return ValidationError(
        f"'{name}' is not a CSV file (it contains binary data); upload a UTF-8 text CSV",
        field="file",
    )


def _empty(name: str) -> ValidationError:
    return ValidationError(f"'{name}' is empty; a CSV needs at least a header row", field="file")


def create_and_enqueue(
    uow_factory: UowFactory,
    queue: TaskQueue,
    clock: Clock,
    job: ImportJob,
    *,
    claim: Callable[[UnitOfWork], bool] | None = None,
) -> ImportJob | None:
    """Store the queued ``job`` and hand it to the task queue. ``claim`` runs in the same unit
    of work; when it returns False nothing is stored and None is returned."""
    with uow_factory() as uow:
        uow.imports.add(job)
        if claim is not None and not claim(uow):
            return None
        uow.commit()
    try:
        queue.enqueue_import(job.id)
    except Exception as exc:  # the broker is down: say so on the job instead of losing it
        log.exception("could not enqueue import %s", job.id)
        with uow_factory() as uow:
            stored = uow.imports.get(job.id, for_update=True)
            if stored is not None and stored.status is ImportStatus.QUEUED:
                stored.fail(
                    f"could not hand the import to the task queue ({type(exc).__name__}); "
                    "check that the broker is running, then retry",
                    clock.now(),
                )
                uow.imports.update(stored)
                uow.commit()
                job = stored
    return job


def submit_import(
    uow_factory: UowFactory,
    storage: FileStorage,
    queue: TaskQueue,
    clock: Clock,
    *,
    filename: str,
    chunks: Iterable[bytes],
) -> ImportJob:
    """Store an uploaded CSV under ``imports/<job id>`` (streamed), create the queued job and
    hand it to the task queue. An empty or non-CSV upload is a ValidationError."""
    name = _check_filename(filename)
    job = ImportJob(filename=name, storage_key="", bytes_total=0, created_at=clock.now())
    job.storage_key = storage_key_for(job.id)
    try:
        size = storage.write(job.storage_key, _checked(chunks, name))
    except _NotCsv:
        storage.delete(job.storage_key)
        raise _not_csv(name) from None
    if size == 0:
        storage.delete(job.storage_key)
        raise _empty(name)
    job.bytes_total = size
    queued = create_and_enqueue(uow_factory, queue, clock, job)
    assert queued is not None  # no claim to lose
    return queued


def submit_stored_import(
    uow_factory: UowFactory,
    storage: FileStorage,
    queue: TaskQueue,
    clock: Clock,
    *,
    storage_key: str,
    filename: str,
) -> ImportJob:
    """Queue an import of a file already in storage (the resumable upload page stored it)."""
    job = stored_import_job(storage, clock, storage_key=storage_key, filename=filename)
    queued = create_and_enqueue(uow_factory, queue, clock, job)
    assert queued is not None  # no claim to lose
    return queued


def stored_import_job(
    storage: FileStorage, clock: Clock, *, storage_key: str, filename: str
) -> ImportJob:
    """Check a stored file (present, not empty, text) and make its queued job, not yet saved."""
    name = _check_filename(filename)
    size = storage.size(storage_key)
    if size is None:
        raise NotFoundError(f"no uploaded file is stored under '{storage_key}'")
    if size == 0:
        raise _empty(name)
    with storage.open(storage_key) as f:
        if _looks_binary(f.read(SNIFF_BYTES)):
            raise _not_csv(name)
    return ImportJob(
        filename=name, storage_key=storage_key, bytes_total=size, created_at=clock.now()
    )


def get_import(uow_factory: UowFactory, job_id: str) -> ImportJob:
    with uow_factory() as uow:
        job = uow.imports.get(job_id)
    if job is None:
        raise NotFoundError(f"import {job_id} not found")
    return job


def list_imports(uow_factory: UowFactory, limit: int = 50) -> list[ImportJob]:
    """The most recent imports, newest first."""
    if not 1 <= limit <= MAX_LIST:
        raise ValidationError(f"limit must be between 1 and {MAX_LIST}", field="limit")
    with uow_factory() as uow:
        return uow.imports.list_recent(limit)


def import_errors(uow_factory: UowFactory, job_id: str) -> Iterator[RowError]:
    """The job's rejected rows in line order, streamed (the unit of work stays open while the
    caller iterates). Raises NotFoundError at once for an unknown job."""
    get_import(uow_factory, job_id)

    def rows() -> Iterator[RowError]:
        with uow_factory() as uow:
            yield from uow.imports.iter_errors(job_id)

    return rows()


def cancel_import(uow_factory: UowFactory, clock: Clock, job_id: str) -> ImportJob:
    """A queued import is cancelled at once; a running one stops at its next checkpoint and
    leaves the catalog as it was. Anything else is an InvalidStateError (409)."""
    with uow_factory() as uow:
        job = uow.imports.get(job_id, for_update=True)
        if job is None:
            raise NotFoundError(f"import {job_id} not found")
        if job.finished:
            raise InvalidStateError(
                f"import {job_id} is already {job.status.value}; "
                "only queued or running imports can be cancelled"
            )
        job.request_cancel(clock.now())
        uow.imports.update(job)
        uow.commit()
    return job


def retry_import(
    uow_factory: UowFactory, storage: FileStorage, queue: TaskQueue, clock: Clock, job_id: str
) -> ImportJob:
    """Queue a failed or cancelled import again from its stored file; its rejected rows and
    counts start afresh."""
    with uow_factory() as uow:
        job = uow.imports.get(job_id, for_update=True)
        if job is None:
            raise NotFoundError(f"import {job_id} not found")
        if job.status not in (ImportStatus.FAILED, ImportStatus.CANCELLED):
            raise InvalidStateError(
                f"import {job_id} is {job.status.value}; "
                "only failed or cancelled imports can be retried"
            )
        if storage.size(job.storage_key) is None:
            raise ConflictError(
                f"the file of import {job_id} is no longer stored; upload '{job.filename}' again"
            )
        job.retry(clock.now())
        uow.imports.clear_errors(job_id)
        uow.imports.update(job)
        uow.commit()
    queue.enqueue_import(job_id)
    return job


def execute_import(
    uow_factory: UowFactory,
    clock: Clock,
    run: ImportRunner,
    job_id: str,
    *,
    stale_after: timedelta = DEFAULT_STALE_AFTER,
) -> ImportJob | None:
    """What a worker does with one task: run the import unless it is finished, unknown, or
    held by another live worker (a duplicate delivery). A job left running by a dead worker
    (stale heartbeat) is restarted from the beginning; run_import starts it afresh.

    Returns the job as it ended, or None when the task was skipped."""
    with uow_factory() as uow:
        job = uow.imports.get(job_id)
    if job is None:
        log.warning("import %s does not exist; task dropped", job_id)
        return None
    if job.finished:
        log.info("import %s is already %s; task dropped", job_id, job.status.value)
        return None
    if job.held_by_a_live_worker(clock.now(), stale_after):
        log.info("import %s is running elsewhere; duplicate task dropped", job_id)
        return None
    try:
        run(job_id)
    except Exception as exc:
        log.exception("import %s crashed", job_id)
        _fail_if_unfinished(uow_factory, clock, job_id, f"the import crashed: {exc}")
    return get_import(uow_factory, job_id)


def _fail_if_unfinished(uow_factory: UowFactory, clock: Clock, job_id: str, reason: str) -> None:
    with uow_factory() as uow:
        job = uow.imports.get(job_id, for_update=True)
        if job is None or job.finished:
            return
        job.fail(reason, clock.now())
        uow.imports.update(job)
        uow.commit()


@dataclass
class RecoveryReport:
    requeued: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    cancelled: list[str] = field(default_factory=list)
    resent: list[str] = field(default_factory=list)
    #: the housekeeping that runs beside recovery: uploads deleted as abandoned
    expired_uploads: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(
            self.requeued or self.failed or self.cancelled or self.resent or self.expired_uploads
        )


def recover_stale_imports(
    uow_factory: UowFactory,
    queue: TaskQueue,
    clock: Clock,
    *,
    stale_after: timedelta = DEFAULT_STALE_AFTER,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    resend_queued: bool = False,
    queued_after: timedelta | None = None,
    skip: Collection[str] = (),
) -> RecoveryReport:
    """Find imports whose worker died and put them right.

    A job left "running" whose heartbeat is older than ``stale_after`` is re-queued (and sent
    to the task queue again) while it has had fewer than ``max_attempts`` attempts; after
    that it is failed with a message saying why. A running job whose cancellation was asked
    for is marked cancelled. With ``resend_queued`` (the in-process worker, whose queue lives
    in memory and dies with its process) queued jobs untouched for ``queued_after`` (default
    ``stale_after``) are sent again; ids in ``skip`` (this process's own) are left alone."""
    now = clock.now()
    queued_after = stale_after if queued_after is None else queued_after
    report = RecoveryReport()
    with uow_factory() as uow:
        candidates = uow.imports.list_unfinished()
    for candidate in candidates:
        if candidate.id in skip:
            continue
        with uow_factory() as uow:
            job = uow.imports.get(
                candidate.id, for_update=True
            )  # re-read: a worker may have moved on
            if job is None or job.finished:
                continue
            beat = job.heartbeat_at or job.started_at or job.created_at
            if job.status is ImportStatus.QUEUED:
                if resend_queued and now - beat >= queued_after:
                    report.resent.append(job.id)
                continue
            if now - beat < stale_after:
                continue
            if job.cancel_requested:
                job.mark_cancelled(now)
                report.cancelled.append(job.id)
            elif job.attempts >= max_attempts:
                job.fail(
                    f"the worker running this import stopped {job.attempts} time(s) without "
                    "finishing (crash, kill or restart); not retrying automatically. "
                    "The catalog is unchanged; retry the import once the workers are healthy",
                    now,
                )
                report.failed.append(job.id)
            else:
                job.requeue(now)
                report.requeued.append(job.id)
            uow.imports.update(job)
            uow.commit()
    for job_id in report.requeued + report.resent:
        try:
            queue.enqueue_import(job_id)
        except Exception:
            log.exception("could not re-enqueue import %s; will try again", job_id)
    for job_id in report.requeued:
        log.warning("import %s was left running by a dead worker; re-queued", job_id)
    for job_id in report.failed:
        log.error("import %s was interrupted too often; failed", job_id)
    return report
