"""What the PostgreSQL import tests (test_csv_import_first, test_csv_import_swap) share."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine, text


def schema(engine: Engine) -> dict[str, Any]:
    """Everything a swap must keep: indexes, constraints, column defaults and collations,
    the sequence, the table's options."""
    with engine.connect() as conn:

        def rows(sql: str) -> list[tuple[Any, ...]]:
            return sorted(tuple(r) for r in conn.execute(text(sql)))

        return {
            "indexes": rows(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'products'"
            ),
            "constraints": rows(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint"
                " WHERE conrelid = 'products'::regclass"
            ),
            "columns": rows(
                "SELECT column_name, data_type, is_nullable, coalesce(column_default, ''),"
                " coalesce(collation_name, '') FROM information_schema.columns"
                " WHERE table_name = 'products'"
            ),
            "sequence": conn.execute(
                text("SELECT pg_get_serial_sequence('products', 'id')")
            ).scalar(),
            "autovacuum": conn.execute(
                text("SELECT reloptions FROM pg_class WHERE oid = 'products'::regclass")
            ).scalar(),
        }


#: Runs a module's tests on PostgreSQL only: the conftest's ``database_url`` is parametrized
#: over both databases, and this picks one of its params.
ONLY_POSTGRESQL = pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
