"""The import use case: stream a stored CSV into the catalog, tracked as an ImportJob.

Memory stays bounded: the file is read in chunks through a byte-counting wrapper, parsed
record by record by the csv module, and valid rows are streamed into the bulk writer (which
stages them in the database); rejected rows are flushed in batches.

Transactions:
- the merge, the job's completion and its one ``import.completed`` event are ONE unit of work,
  so a failure or a cancellation changes nothing in the catalog;
- progress (and rejected rows) go through separate short units of work, at most every
  ``progress_interval`` seconds, where a cancellation request is also noticed.
"""

from __future__ import annotations

import csv
import io
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, BinaryIO

from acme.application.ports import Clock, FileStorage, UnitOfWork
from acme.domain.csv_rules import (
    CsvFormatError,
    Header,
    ImportRow,
    RowError,
    parse_header,
    validate_record,
)
from acme.domain.errors import DomainError, NotFoundError
from acme.domain.events import IMPORT_COMPLETED, IMPORT_FAILED, DomainEvent
from acme.domain.import_job import DEFAULT_STALE_AFTER, ImportCounts, ImportJob, ImportPhase

log = logging.getLogger(__name__)

UowFactory = Callable[[], UnitOfWork]

#: Share of the progress bar given to reading the file; the merge gets the rest.
PARSE_SHARE = 60.0
ERROR_BATCH = 1000
READ_CHUNK = 1 << 20


class ImportCancelled(Exception):
    """Raised at a checkpoint when someone asked to cancel the running import."""


class _CountingRaw(io.RawIOBase):
    """A raw stream over the stored file that counts the bytes handed to the parser."""

    def __init__(self, inner: BinaryIO) -> None:
        self._inner = inner
        self.bytes_read = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._inner.read(len(buffer))
        n = len(data)
        buffer[:n] = data
        self.bytes_read += n
        return n

    def close(self) -> None:
        try:
            self._inner.close()
        finally:
            super().close()


def event_data(job: ImportJob) -> dict[str, Any]:
    return {
        "import_id": job.id,
        "filename": job.filename,
        "status": job.status.value,
        "rows_total": job.rows_total,
        "created": job.created,
        "updated": job.updated,
        "unchanged": job.unchanged,
        "invalid": job.invalid,
        "duplicates_in_file": job.duplicates_in_file,
        "error": job.error,
    }


def locate_decode_error(stream: BinaryIO) -> int:
    """The physical line (1-based) holding the first byte that is not valid UTF-8."""
    line = 1
    with stream:
        for raw in stream:  # split on b"\n": never inside a UTF-8 multi-byte sequence
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                return line + raw.count(b"\r", 0, exc.start) - raw.count(b"\r\n", 0, exc.start)
            line += 1 + raw.count(b"\r") - raw.count(b"\r\n")
    return line


@dataclass
class _Tracker:
    """Writes progress and rejected rows through short units of work, throttled."""

    job_id: str
    uow_factory: UowFactory
    clock: Clock
    bytes_total: int
    interval: float
    monotonic: Callable[[], float]
    errors: list[RowError] = field(default_factory=list)
    last: float = 0.0

    def checkpoint(
        self,
        phase: ImportPhase,
        percent: float,
        bytes_done: int,
        rows_done: int,
        *,
        force: bool = False,
    ) -> None:
        now_mono = self.monotonic()
        due = force or now_mono - self.last >= self.interval or len(self.errors) >= ERROR_BATCH
        if not due:
            return
        self.last = now_mono
        with self.uow_factory() as uow:
            job = uow.imports.get(self.job_id, for_update=True)
            if job is None:
                raise NotFoundError(f"import {self.job_id} not found")
            if self.errors:
                uow.imports.add_errors(self.job_id, self.errors)
                self.errors.clear()  # rows() holds this list: empty it, never rebind
            if job.cancel_requested:
                uow.commit(durable=False)
                raise ImportCancelled
            job.advance(
                self.clock.now(),
                phase=phase,
                percent=percent,
                bytes_done=bytes_done,
                rows_done=rows_done,
            )
            uow.imports.update(job)
            # Progress and rejected rows need not wait for the disk: the next checkpoint
            # supersedes them, and a job whose worker or database died is run again from the
            # start (its rejected rows cleared). The outcome below is committed durably.
            uow.commit(durable=False)


def _finish_unsuccessfully(
    uow_factory: UowFactory, clock: Clock, job_id: str, *, cancelled: bool, reason: str
) -> ImportJob:
    with uow_factory() as uow:
        job = uow.imports.get(job_id, for_update=True)
        if job is None:
            raise NotFoundError(f"import {job_id} not found")
        if job.finished:
            return job
        now = clock.now()
        if cancelled:
            job.mark_cancelled(now)
        else:
            job.fail(reason, now)
            uow.events.publish(DomainEvent(IMPORT_FAILED, event_data(job), now))
        uow.imports.update(job)
        uow.commit()
        return job


def _start(
    uow_factory: UowFactory, clock: Clock, job_id: str, stale_after: timedelta
) -> ImportJob | None:
    """Claim the job and mark it running; None when it must not run here (finished, cancel
    requested, or running in a worker whose heartbeat is still fresh). The job is read FOR
    UPDATE, so of two workers handed the same job at once only the first one claims it."""
    with uow_factory() as uow:
        job = uow.imports.get(job_id, for_update=True)
        if job is None:
            raise NotFoundError(f"import {job_id} not found")
        if job.finished or job.held_by_a_live_worker(clock.now(), stale_after):
            return None
        if job.cancel_requested:
            job.mark_cancelled(clock.now())
            uow.imports.update(job)
            uow.commit()
            return None
        job.start(clock.now())
        job.warnings = []
        uow.imports.clear_errors(job_id)
        uow.imports.update(job)
        uow.commit()
        return job


def run_import(
    job_id: str,
    *,
    uow_factory: UowFactory,
    storage: FileStorage,
    clock: Clock,
    progress_interval: float = 0.25,
    monotonic: Callable[[], float] = time.monotonic,
    stale_after: timedelta = DEFAULT_STALE_AFTER,
) -> ImportJob:
    """Run the import ``job_id`` to its end and return the finished job.

    Never raises for an import that goes wrong (unreadable file, cancellation, a database
    error): the job records it. Raises NotFoundError for an unknown job. A job that is
    finished, or running in another worker (heartbeat younger than ``stale_after``), is
    returned as it is, not run."""
    started = _start(uow_factory, clock, job_id, stale_after)
    if started is None:
        with uow_factory() as uow:
            found = uow.imports.get(job_id)
        assert found is not None
        return found
    tracker = _Tracker(
        job_id=job_id,
        uow_factory=uow_factory,
        clock=clock,
        bytes_total=max(started.bytes_total, 1),
        interval=progress_interval,
        monotonic=monotonic,
    )
    tracker.last = monotonic()
    try:
        return _import(started, uow_factory, storage, clock, tracker)
    except ImportCancelled:
        return _finish_unsuccessfully(uow_factory, clock, job_id, cancelled=True, reason="")
    except UnicodeDecodeError:
        line = locate_decode_error(storage.open(started.storage_key))
        reason = f"Line {line}: the file is not valid UTF-8 text"
        return _finish_unsuccessfully(uow_factory, clock, job_id, cancelled=False, reason=reason)
    except DomainError as exc:
        return _finish_unsuccessfully(
            uow_factory, clock, job_id, cancelled=False, reason=exc.message
        )
    except Exception as exc:
        log.exception("import %s failed", job_id)
        reason = f"The import failed unexpectedly ({type(exc).__name__}: {exc})"[:2000]
        return _finish_unsuccessfully(uow_factory, clock, job_id, cancelled=False, reason=reason)


def _csv_error(exc: csv.Error, line: int) -> CsvFormatError:
    text = str(exc)
    if "field larger than field limit" in text:
        return CsvFormatError(
            line, f"a field is longer than {csv.field_size_limit()} characters (unclosed quote?)"
        )
    if "unexpected end of data" in text:
        return CsvFormatError(line, "a quoted field is never closed")
    return CsvFormatError(line, f"malformed CSV ({text})")


def _import(
    job: ImportJob,
    uow_factory: UowFactory,
    storage: FileStorage,
    clock: Clock,
    tracker: _Tracker,
) -> ImportJob:
    raw = _CountingRaw(storage.open(job.storage_key))
    text = io.TextIOWrapper(
        io.BufferedReader(raw, READ_CHUNK), encoding="utf-8-sig", errors="strict", newline=""
    )
    reader = csv.reader(text, strict=True)
    bytes_total = tracker.bytes_total
    state = {"last": 0, "total": 0, "valid": 0, "invalid": 0}

    def next_record() -> list[str] | None:
        try:
            return next(reader)
        except StopIteration:
            return None
        except csv.Error as exc:
            raise _csv_error(exc, state["last"] + 1) from None

    def read_header() -> Header:
        cells = next_record()
        state["last"] = reader.line_num
        if cells is None:
            raise CsvFormatError(1, "the file is empty (a header row is required)")
        return parse_header(cells, line=1)

    def rows(header: Header) -> Iterator[ImportRow]:
        errors = tracker.errors
        last = state["last"]
        total = valid = invalid = 0
        validate = validate_record
        try:
            while True:
                try:
                    cells = next(reader)
                except StopIteration:
                    break
                except csv.Error as exc:
                    raise _csv_error(exc, last + 1) from None
                line = last + 1
                last = reader.line_num
                if not cells:
                    continue
                total += 1
                result = validate(cells, header, line)
                if isinstance(result, list):
                    invalid += 1
                    errors.extend(result)
                else:
                    valid += 1
                    yield result
                if not total & 1023:
                    done = raw.bytes_read
                    tracker.checkpoint(
                        ImportPhase.PARSING, PARSE_SHARE * done / bytes_total, done, total
                    )
        finally:
            state.update(last=last, total=total, valid=valid, invalid=invalid)
        # Every record read: flush the last rejected rows and notice a cancellation, before
        # the writer starts changing the catalog.
        tracker.checkpoint(ImportPhase.MERGING, PARSE_SHARE, raw.bytes_read, total, force=True)

    def merge_progress(fraction: float) -> None:
        tracker.checkpoint(
            ImportPhase.MERGING,
            PARSE_SHARE + (100.0 - PARSE_SHARE) * fraction,
            raw.bytes_read,
            state["total"],
        )

    with text, uow_factory() as uow:
        header = read_header()
        warnings = header.warnings
        counts = uow.bulk.merge(rows(header), now=clock.now(), on_merge_progress=merge_progress)
        current = uow.imports.get(job.id, for_update=True)
        if current is None:
            raise NotFoundError(f"import {job.id} not found")
        if current.cancel_requested:
            raise ImportCancelled
        merged = counts.created + counts.updated + counts.unchanged
        current.warnings = warnings
        current.complete(
            ImportCounts(
                rows_total=state["total"],
                created=counts.created,
                updated=counts.updated,
                unchanged=counts.unchanged,
                invalid=state["invalid"],
                duplicates_in_file=state["valid"] - merged,
            ),
            clock.now(),
        )
        uow.imports.update(current)
        finished_at = current.finished_at or clock.now()
        uow.events.publish(DomainEvent(IMPORT_COMPLETED, event_data(current), finished_at))
        uow.commit()
        return current
