"""ProductBulkWriter for PostgreSQL: COPY into a staging table, then one set-based merge.

Everything happens in the unit of work's transaction, so a failure or a rollback leaves the
catalog exactly as it was (temporary tables and a half-built new table vanish with it).

1. Rows are streamed with COPY into a TEMP staging table (not WAL-logged, private).
2. Merges are serialised (``pg_advisory_xact_lock`` plus a SHARE ROW EXCLUSIVE lock on
   ``products``, which blocks concurrent single-product writes but never reads), so two
   imports with overlapping SKUs run one after the other: no deadlock, no unique violation.
3. Winners (last row per SKU key) are compared with the catalog: created / updated /
   unchanged; unchanged products are not written.
4. Then one of two strategies (see docs/decisions/0004-import-merge-strategy.md):
   - *in place*: UPDATE the changed products, INSERT the new ones. The trigram GIN indexes
     are maintained row by row, which is cheap for small changes and expensive for large ones;
   - *swap*: when the change is large relative to the catalog, build a complete new table
     (old rows + merged rows) without indexes, build every index of the live table in bulk
     (definitions read from ``pg_indexes``), and swap it in with a rename at the end. Readers
     keep reading the old table until the commit; only the final rename takes a brief
     ACCESS EXCLUSIVE lock.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, text

from acme.application.ports import ImportRow, MergeCounts, ProductBulkWriter

#: The key of the advisory lock that serialises merges into ``products``.
MERGE_LOCK_KEY = 0x41434D45_494D5054  # "ACMEIMPT"
MANAGED_COLUMNS = frozenset(
    {"id", "sku", "sku_key", "name", "description", "active", "created_at", "updated_at"}
)
NEW_TABLE = "acme_products_new"

_CHANGED = """(
    p.sku IS DISTINCT FROM w.sku OR p.name IS DISTINCT FROM w.name
    OR (w.description IS NOT NULL AND p.description IS DISTINCT FROM w.description)
    OR (w.active IS NOT NULL AND p.active IS DISTINCT FROM w.active))"""

_INDEX_DEF = re.compile(
    r"^CREATE (?P<unique>UNIQUE )?INDEX (?P<name>\S+) ON (?P<only>ONLY )?(?P<table>\S+)"
    r" (?P<rest>USING .*)$"
)


class PostgresBulkWriter(ProductBulkWriter):
    """``swap_min_rows``/``swap_ratio``: use the swap strategy when at least that many products
    change and they are at least that share of the catalog after the import."""

    def __init__(
        self,
        conn: Connection,
        engine: Engine | None = None,
        *,
        swap_min_rows: int = 20_000,
        swap_ratio: float = 0.3,
        maintenance_work_mem: str = "512MB",
        force_strategy: str | None = None,
    ) -> None:
        self._conn = conn
        self._engine = engine
        self.swap_min_rows = swap_min_rows
        self.swap_ratio = swap_ratio
        self.maintenance_work_mem = maintenance_work_mem
        self.force_strategy = force_strategy
        self.last_strategy: str | None = None

    # -- helpers -------------------------------------------------------------------------
    def _exec(self, sql: str, **params: Any) -> Any:
        return self._conn.execute(text(sql), params)

    def _copy(self, rows: Iterable[ImportRow]) -> int:
        dbapi = self._conn.connection.driver_connection
        assert dbapi is not None
        n = 0
        with (
            dbapi.cursor() as cur,
            cur.copy(
                "COPY acme_import_stage (line, sku, key, name, description, active) FROM STDIN"
            ) as copy,
        ):
            write = copy.write_row
            for row in rows:
                write(row)
                n += 1
        return n

    # -- the port ------------------------------------------------------------------------
    def merge(
        self,
        rows: Iterable[ImportRow],
        *,
        now: datetime,
        on_merge_progress: Callable[[float], None] | None = None,
    ) -> MergeCounts:
        progress = on_merge_progress or (lambda _fraction: None)
        self._exec("SET LOCAL work_mem = '128MB'")
        self._exec(f"SET LOCAL maintenance_work_mem = '{self.maintenance_work_mem}'")
        self._exec(
            "CREATE TEMP TABLE acme_import_stage (line bigint, sku text, key text, name text,"
            " description text, active boolean) ON COMMIT DROP"
        )
        self._copy(rows)
        progress(0.0)
        self._exec("SELECT pg_advisory_xact_lock(:k)", k=MERGE_LOCK_KEY)
        self._exec("LOCK TABLE products IN SHARE ROW EXCLUSIVE MODE")
        self._exec(
            "CREATE TEMP TABLE acme_import_win ON COMMIT DROP AS"
            ' SELECT DISTINCT ON (key COLLATE "C") line, sku, key, name, description, active'
            ' FROM acme_import_stage ORDER BY key COLLATE "C", line DESC'
        )
        self._exec("DROP TABLE acme_import_stage")
        self._exec("ANALYZE acme_import_win")
        row = self._exec(
            "SELECT count(*) FILTER (WHERE p.id IS NULL) AS created,"
            f" count(*) FILTER (WHERE p.id IS NOT NULL AND {_CHANGED}) AS updated,"
            " count(*) FILTER (WHERE p.id IS NOT NULL) AS existing"
            " FROM acme_import_win w LEFT JOIN products p ON p.sku_key = w.key"
        ).one()
        created, updated, existing = int(row.created), int(row.updated), int(row.existing)
        counts = MergeCounts(created=created, updated=updated, unchanged=existing - updated)
        progress(0.1)
        if created + updated == 0:
            self.last_strategy = "none"
            return counts
        strategy = self.force_strategy or self._choose(created + updated, created)
        self.last_strategy = strategy
        if strategy == "swap":
            self._swap(now, progress)
        else:
            self._in_place(now)
        progress(1.0)
        return counts

    def _choose(self, changes: int, created: int) -> str:
        size = self._exec("SELECT count(*) FROM products").scalar_one() + created
        if changes < self.swap_min_rows or changes < self.swap_ratio * size:
            return "in_place"
        columns = set(
            self._exec(
                "SELECT attname FROM pg_attribute WHERE attrelid = 'products'::regclass"
                " AND attnum > 0 AND NOT attisdropped"
            ).scalars()
        )
        referenced = self._exec(
            "SELECT count(*) FROM pg_constraint WHERE confrelid = 'products'::regclass"
        ).scalar_one()
        if columns != MANAGED_COLUMNS or referenced:
            return "in_place"  # a schema this adapter does not know how to rebuild
        return "swap"

    def _in_place(self, now: datetime) -> None:
        self._exec(
            "UPDATE products p SET sku = w.sku, name = w.name,"
            " description = coalesce(w.description, p.description),"
            " active = coalesce(w.active, p.active), updated_at = :now"
            f" FROM acme_import_win w WHERE p.sku_key = w.key AND {_CHANGED}",
            now=now,
        )
        self._exec(
            "INSERT INTO products (sku, sku_key, name, description, active, created_at,"
            " updated_at) SELECT w.sku, w.key, w.name, coalesce(w.description, ''),"
            " coalesce(w.active, true), :now, :now FROM acme_import_win w"
            " WHERE NOT EXISTS (SELECT 1 FROM products p WHERE p.sku_key = w.key)"
            " ORDER BY w.line",
            now=now,
        )

    def _swap(self, now: datetime, progress: Callable[[float], None]) -> None:
        sequence = self._exec("SELECT pg_get_serial_sequence('products', 'id')").scalar_one()
        indexes = self._exec(
            "SELECT indexname, indexdef FROM pg_indexes"
            " WHERE schemaname = current_schema() AND tablename = 'products'"
        ).all()
        primary = self._exec(
            "SELECT c.conname, i.relname FROM pg_constraint c JOIN pg_class i"
            " ON i.oid = c.conindid WHERE c.conrelid = 'products'::regclass AND c.contype = 'p'"
        ).first()
        self._exec(f"DROP TABLE IF EXISTS {NEW_TABLE}")
        self._exec(
            f"CREATE TABLE {NEW_TABLE} (LIKE products INCLUDING DEFAULTS INCLUDING CONSTRAINTS"
            " INCLUDING STORAGE INCLUDING COMMENTS)"
        )
        self._exec(
            f"INSERT INTO {NEW_TABLE} (id, sku, sku_key, name, description, active, created_at,"
            " updated_at)"
            " SELECT p.id, coalesce(w.sku, p.sku), p.sku_key, coalesce(w.name, p.name),"
            " coalesce(w.description, p.description), coalesce(w.active, p.active),"
            f" p.created_at, CASE WHEN w.key IS NOT NULL AND {_CHANGED} THEN :now"
            " ELSE p.updated_at END"
            " FROM products p LEFT JOIN acme_import_win w ON w.key = p.sku_key ORDER BY p.id",
            now=now,
        )
        self._exec(
            f"INSERT INTO {NEW_TABLE} (sku, sku_key, name, description, active, created_at,"
            " updated_at) SELECT w.sku, w.key, w.name, coalesce(w.description, ''),"
            " coalesce(w.active, true), :now, :now FROM acme_import_win w"
            " WHERE NOT EXISTS (SELECT 1 FROM products p WHERE p.sku_key = w.key)"
            " ORDER BY w.line",
            now=now,
        )
        progress(0.3)
        renames: list[tuple[str, str]] = []
        for i, (name, definition) in enumerate(sorted(indexes)):
            match = _INDEX_DEF.match(definition)
            if match is None:
                raise RuntimeError(f"cannot rebuild index {name}: {definition}")
            temp_name = f"acme_new_idx_{i}"
            self._exec(
                f"CREATE {match['unique'] or ''}INDEX {temp_name} ON {NEW_TABLE} {match['rest']}"
            )
            renames.append((temp_name, name))
            progress(0.3 + 0.6 * (i + 1) / len(indexes))
        if primary is not None:
            # ADD CONSTRAINT .. USING INDEX renames the index after the constraint; renaming
            # that index back later renames the constraint with it.
            at = next(i for i, (_, n) in enumerate(renames) if n == primary.relname)
            self._exec(
                f"ALTER TABLE {NEW_TABLE} ADD CONSTRAINT acme_new_pkey PRIMARY KEY"
                f" USING INDEX {renames[at][0]}"
            )
            renames[at] = ("acme_new_pkey", primary.relname)
        self._exec(f"ANALYZE {NEW_TABLE}")
        # The swap: readers wait only for these few catalog changes.
        self._exec("LOCK TABLE products IN ACCESS EXCLUSIVE MODE")
        if sequence:
            self._exec(f"ALTER SEQUENCE {sequence} OWNED BY {NEW_TABLE}.id")
        self._exec("DROP TABLE products")
        self._exec(f"ALTER TABLE {NEW_TABLE} RENAME TO products")
        for temp_name, name in renames:
            self._exec(f'ALTER INDEX {temp_name} RENAME TO "{name}"')
