"""ProductBulkWriter for SQLite (the embedded default): correct first, reasonably quick.

Rows are staged in a TEMP table (private to the connection, and writing it does not take the
main database's write lock, so progress can still be recorded meanwhile), then merged with
set-based SQL in the unit of work's transaction: last row per key wins, unchanged products
are not written."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

from sqlalchemy import Connection, bindparam, text

from acme.adapters.sqlalchemy.tables import UtcDateTime
from acme.application.ports import ImportRow, MergeCounts, ProductBulkWriter

BATCH = 5000

_CHANGED = """
    p.sku <> w.sku OR p.name <> w.name
    OR (w.description IS NOT NULL AND p.description <> w.description)
    OR (w.active IS NOT NULL AND p.active <> w.active)
"""


class SqliteBulkWriter(ProductBulkWriter):
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def _drop(self) -> None:
        self._conn.exec_driver_sql("DROP TABLE IF EXISTS temp.acme_import_stage")
        self._conn.exec_driver_sql("DROP TABLE IF EXISTS temp.acme_import_win")

    def merge(
        self,
        rows: Iterable[ImportRow],
        *,
        now: datetime,
        on_merge_progress: Callable[[float], None] | None = None,
    ) -> MergeCounts:
        conn = self._conn
        self._drop()
        conn.exec_driver_sql(
            "CREATE TEMP TABLE acme_import_stage (seq INTEGER PRIMARY KEY, sku TEXT NOT NULL,"
            " key TEXT NOT NULL, name TEXT NOT NULL, description TEXT, active INTEGER)"
        )
        insert = (
            "INSERT INTO temp.acme_import_stage (sku, key, name, description, active)"
            " VALUES (?, ?, ?, ?, ?)"
        )
        batch: list[tuple[str, str, str, str | None, bool | None]] = []
        for row in rows:
            batch.append((row.sku, row.key, row.name, row.description, row.active))
            if len(batch) >= BATCH:
                conn.exec_driver_sql(insert, batch)
                batch = []
        if batch:
            conn.exec_driver_sql(insert, batch)
        if on_merge_progress is not None:
            # The last moment another connection may write: from here on this transaction
            # holds the main database's write lock until the unit of work ends.
            on_merge_progress(0.0)
        try:
            # Take the write lock before reading, so no other writer can slip in between.
            conn.exec_driver_sql("UPDATE products SET id = id WHERE 0")
            conn.exec_driver_sql(
                "CREATE TEMP TABLE acme_import_win AS SELECT s.sku, s.key, s.name,"
                " s.description, s.active FROM temp.acme_import_stage s"
                " JOIN (SELECT key, max(seq) AS seq FROM temp.acme_import_stage GROUP BY key) m"
                " ON s.seq = m.seq"
            )
            conn.exec_driver_sql(
                "CREATE UNIQUE INDEX temp.acme_import_win_key ON acme_import_win(key)"
            )
            existing = conn.exec_driver_sql(
                "SELECT count(*) FROM temp.acme_import_win w JOIN products p ON p.sku_key = w.key"
            ).scalar_one()
            updated = conn.execute(
                text(
                    "UPDATE products AS p SET sku = w.sku, name = w.name,"
                    " description = coalesce(w.description, p.description),"
                    " active = coalesce(w.active, p.active), updated_at = :now"
                    f" FROM temp.acme_import_win w WHERE p.sku_key = w.key AND ({_CHANGED})"
                ).bindparams(bindparam("now", type_=UtcDateTime()), now=now)
            ).rowcount
            created = conn.execute(
                text(
                    "INSERT INTO products (sku, sku_key, name, description, active, created_at,"
                    " updated_at) SELECT w.sku, w.key, w.name, coalesce(w.description, ''),"
                    " coalesce(w.active, 1), :now, :now FROM temp.acme_import_win w"
                    " WHERE NOT EXISTS (SELECT 1 FROM products p WHERE p.sku_key = w.key)"
                ).bindparams(bindparam("now", type_=UtcDateTime()), now=now)
            ).rowcount
        finally:
            self._drop()
        return MergeCounts(created=created, updated=updated, unchanged=existing - updated)
