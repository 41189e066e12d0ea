"""The ImportJob entity: one CSV import, its phase, progress, counts and legal transitions."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from acme.domain.errors import InvalidStateError

#: A running job whose heartbeat is older than this is taken to be left by a dead worker.
DEFAULT_STALE_AFTER = timedelta(seconds=120)


class ImportStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"


class ImportPhase(StrEnum):
    QUEUED = "queued"
    PARSING = "parsing"
    MERGING = "merging"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"


FINISHED = frozenset({ImportStatus.COMPLETED, ImportStatus.FAILED, ImportStatus.CANCELLED})


@dataclass(frozen=True)
class ImportCounts:
    rows_total: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    invalid: int = 0
    duplicates_in_file: int = 0


@dataclass
class ImportJob:
    filename: str
    storage_key: str
    bytes_total: int
    created_at: datetime
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    status: ImportStatus = ImportStatus.QUEUED
    phase: ImportPhase = ImportPhase.QUEUED
    percent: float = 0.0
    bytes_done: int = 0
    rows_done: int = 0
    rows_total: int | None = None
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    invalid: int = 0
    duplicates_in_file: int = 0
    error: str | None = None
    warnings: list[str] = field(default_factory=list)
    attempts: int = 0
    cancel_requested: bool = False
    started_at: datetime | None = None
    finished_at: datetime | None = None
    heartbeat_at: datetime | None = None

    @property
    def finished(self) -> bool:
        return self.status in FINISHED

    def held_by_a_live_worker(self, now: datetime, stale_after: timedelta) -> bool:
        """Running, with a heartbeat younger than ``stale_after``: another worker has it."""
        if self.status is not ImportStatus.RUNNING:
            return False
        beat = self.heartbeat_at or self.started_at or self.created_at
        return now - beat < stale_after

    def _require(self, *allowed: ImportStatus, action: str) -> None:
        if self.status not in allowed:
            raise InvalidStateError(f"cannot {action} an import that is {self.status.value}")

    def start(self, now: datetime) -> None:
        """A worker picks the job up (again, after a crash, when it was left running)."""
        self._require(ImportStatus.QUEUED, ImportStatus.RUNNING, action="start")
        if self.cancel_requested:
            raise InvalidStateError("cannot start an import whose cancellation was requested")
        self.status = ImportStatus.RUNNING
        self.phase = ImportPhase.PARSING
        self.percent = 0.0
        self.bytes_done = self.rows_done = 0
        self.attempts += 1
        self.started_at = self.heartbeat_at = now

    def advance(
        self,
        now: datetime,
        *,
        phase: ImportPhase,
        percent: float,
        bytes_done: int | None = None,
        rows_done: int | None = None,
    ) -> None:
        """Record progress. Percent never goes backwards within an attempt."""
        self._require(ImportStatus.RUNNING, action="advance")
        if phase not in (ImportPhase.PARSING, ImportPhase.MERGING):
            raise InvalidStateError(f"a running import cannot be in phase {phase.value}")
        self.phase = phase
        self.percent = max(self.percent, min(max(percent, 0.0), 99.9))
        if bytes_done is not None:
            self.bytes_done = bytes_done
        if rows_done is not None:
            self.rows_done = rows_done
        self.heartbeat_at = now

    def complete(self, counts: ImportCounts, now: datetime) -> None:
        self._require(ImportStatus.RUNNING, action="complete")
        self.status = ImportStatus.COMPLETED
        self.phase = ImportPhase.COMPLETED
        self.percent = 100.0
        self.bytes_done = self.bytes_total
        self.rows_total = self.rows_done = counts.rows_total
        self.created = counts.created
        self.updated = counts.updated
        self.unchanged = counts.unchanged
        self.invalid = counts.invalid
        self.duplicates_in_file = counts.duplicates_in_file
        self.error = None
        self.finished_at = self.heartbeat_at = now

    def fail(self, reason: str, now: datetime) -> None:
        self._require(ImportStatus.QUEUED, ImportStatus.RUNNING, action="fail")
        self.status = ImportStatus.FAILED
        self.phase = ImportPhase.FAILED
        self.error = reason
        self.finished_at = self.heartbeat_at = now

    def request_cancel(self, now: datetime) -> None:
        """Queued jobs are cancelled at once; running ones stop at their next checkpoint."""
        self._require(ImportStatus.QUEUED, ImportStatus.RUNNING, action="cancel")
        self.cancel_requested = True
        if self.status is ImportStatus.QUEUED:
            self.mark_cancelled(now)

    def mark_cancelled(self, now: datetime) -> None:
        self._require(ImportStatus.QUEUED, ImportStatus.RUNNING, action="cancel")
        self.status = ImportStatus.CANCELLED
        self.phase = ImportPhase.CANCELLED
        self.finished_at = self.heartbeat_at = now

    def requeue(self, now: datetime) -> None:
        """Put a job whose worker died (left running, heartbeat stale) back in the queue.

        ``attempts`` is kept, so recovery can give up after a few interrupted attempts."""
        self._require(ImportStatus.RUNNING, action="requeue")
        self.status = ImportStatus.QUEUED
        self.phase = ImportPhase.QUEUED
        self.percent = 0.0
        self.bytes_done = self.rows_done = 0
        self.heartbeat_at = now

    def retry(self, now: datetime) -> None:
        """Queue a failed or cancelled import again; counts, errors and attempts start afresh."""
        self._require(ImportStatus.FAILED, ImportStatus.CANCELLED, action="retry")
        self.attempts = 0
        self.status = ImportStatus.QUEUED
        self.phase = ImportPhase.QUEUED
        self.percent = 0.0
        self.bytes_done = self.rows_done = 0
        self.rows_total = None
        self.created = self.updated = self.unchanged = self.invalid = 0
        self.duplicates_in_file = 0
        self.error = None
        self.cancel_requested = False
        self.finished_at = None
        self.heartbeat_at = now
