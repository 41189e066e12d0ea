"""ImportJobRepository on SQLAlchemy Core: import jobs and their rejected rows."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import islice
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from acme.adapters.sqlalchemy.tables import import_errors, import_jobs
from acme.application.ports import ImportJobRepository, RowError
from acme.domain.import_job import ImportJob, ImportPhase, ImportStatus

ERROR_BATCH = 1000
_FIELDS = (
    "filename",
    "storage_key",
    "bytes_total",
    "created_at",
    "percent",
    "bytes_done",
    "rows_done",
    "rows_total",
    "created",
    "updated",
    "unchanged",
    "invalid",
    "duplicates_in_file",
    "error",
    "attempts",
    "cancel_requested",
    "started_at",
    "finished_at",
    "heartbeat_at",
)


def _values(job: ImportJob) -> dict[str, Any]:
    values = {name: getattr(job, name) for name in _FIELDS}
    values.update(
        id=job.id, status=job.status.value, phase=job.phase.value, warnings=list(job.warnings)
    )
    return values


def row_to_job(row: Any) -> ImportJob:
    job = ImportJob(
        filename=row.filename,
        storage_key=row.storage_key,
        bytes_total=row.bytes_total,
        created_at=row.created_at,
        id=row.id,
    )
    for name in _FIELDS:
        setattr(job, name, getattr(row, name))
    job.status = ImportStatus(row.status)
    job.phase = ImportPhase(row.phase)
    job.warnings = list(row.warnings or [])
    return job


class SqlImportJobRepository(ImportJobRepository):
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def add(self, job: ImportJob) -> None:
        self._conn.execute(insert(import_jobs).values(_values(job)))

    def get(self, job_id: str, *, for_update: bool = False) -> ImportJob | None:
        query = select(import_jobs).where(import_jobs.c.id == job_id)
        if for_update:  # PostgreSQL row lock; SQLite serialises writers by itself
            query = query.with_for_update()
        row = self._conn.execute(query).first()
        return row_to_job(row) if row else None

    def update(self, job: ImportJob) -> None:
        values = _values(job)
        values.pop("id")
        self._conn.execute(update(import_jobs).where(import_jobs.c.id == job.id).values(values))

    def list_recent(self, limit: int) -> list[ImportJob]:
        rows = self._conn.execute(
            select(import_jobs)
            .order_by(import_jobs.c.created_at.desc(), import_jobs.c.id.desc())
            .limit(limit)
        ).all()
        return [row_to_job(r) for r in rows]

    def add_errors(self, job_id: str, errors: Iterable[RowError]) -> None:
        it = iter(errors)
        while batch := list(islice(it, ERROR_BATCH)):
            self._conn.execute(
                insert(import_errors),
                [
                    {
                        "job_id": job_id,
                        "line": e.line,
                        "sku": e.sku,
                        "column": e.column,
                        "reason": e.reason,
                    }
                    for e in batch
                ],
            )

    def iter_errors(self, job_id: str) -> Iterator[RowError]:
        result = self._conn.execute(
            select(
                import_errors.c.line,
                import_errors.c.sku,
                import_errors.c.column,
                import_errors.c.reason,
            )
            .where(import_errors.c.job_id == job_id)
            .order_by(import_errors.c.line, import_errors.c.id)
            .execution_options(yield_per=1000)
        )
        for row in result:
            yield RowError(line=row.line, sku=row.sku, column=row.column, reason=row.reason)

    def clear_errors(self, job_id: str) -> None:
        self._conn.execute(delete(import_errors).where(import_errors.c.job_id == job_id))
