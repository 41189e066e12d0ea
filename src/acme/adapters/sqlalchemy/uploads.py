"""UploadRepository on SQLAlchemy Core."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from acme.adapters.sqlalchemy.tables import uploads
from acme.application.ports import UploadRepository
from acme.domain.upload import Upload


class SqlUploadRepository(UploadRepository):
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def add(self, upload: Upload) -> None:
        self._conn.execute(
            insert(uploads).values(
                id=upload.id,
                filename=upload.filename,
                length=upload.length,
                offset=upload.offset,
                created_at=upload.created_at,
                active_at=upload.active_at,
                import_job_id=upload.import_job_id,
            )
        )

    def get(self, upload_id: str) -> Upload | None:
        row = self._conn.execute(select(uploads).where(uploads.c.id == upload_id)).first()
        return None if row is None else _upload(row)

    def list_idle_unimported(self, idle_since: datetime, limit: int) -> list[Upload]:
        rows = self._conn.execute(
            select(uploads)
            .where(uploads.c.import_job_id.is_(None), uploads.c.active_at < idle_since)
            .order_by(uploads.c.active_at)
            .limit(limit)
        )
        return [_upload(row) for row in rows]

    def delete_idle_unimported(self, upload_id: str, idle_since: datetime) -> bool:
        # One conditional DELETE: a claim or a part recorded meanwhile keeps the upload.
        deleted = self._conn.execute(
            delete(uploads).where(
                uploads.c.id == upload_id,
                uploads.c.import_job_id.is_(None),
                uploads.c.active_at < idle_since,
            )
        )
        return deleted.rowcount == 1

    def update(self, upload: Upload) -> None:
        self._conn.execute(
            update(uploads)
            .where(uploads.c.id == upload.id)
            .values(
                offset=upload.offset,
                import_job_id=upload.import_job_id,
                active_at=upload.active_at,
            )
        )

    def claim_for_import(self, upload_id: str, job_id: str) -> bool:
        # One conditional UPDATE: PostgreSQL re-checks the condition after waiting for a
        # concurrent claim's row lock; SQLite serialises writers.
        claimed = self._conn.execute(
            update(uploads)
            .where(uploads.c.id == upload_id, uploads.c.import_job_id.is_(None))
            .values(import_job_id=job_id)
        )
        return claimed.rowcount == 1

    def delete(self, upload_id: str) -> bool:
        return self._conn.execute(delete(uploads).where(uploads.c.id == upload_id)).rowcount > 0


def _upload(row: Any) -> Upload:
    return Upload(
        id=row.id,
        filename=row.filename,
        length=row.length,
        offset=row.offset,
        created_at=row.created_at,
        import_job_id=row.import_job_id,
        active_at=row.active_at,
    )
