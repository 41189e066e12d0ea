"""The Alembic migrations build exactly the schema tables.py describes, on both databases,
and undo cleanly."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import Connection, create_engine, inspect, text

from acme.adapters.sqlalchemy.migrate import downgrade, schema_differences, upgrade
from acme.adapters.sqlalchemy.tables import metadata
from tests.databases import postgres_database, sqlite_database


@pytest.fixture(params=["postgres", "sqlite"])
def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database of its own (these tests drop things), migrated to every head."""
    if request.param == "postgres":
        with postgres_database("acme_migrations") as url:
            yield url
    else:
        with sqlite_database(tmp_path) as url:
            yield url


@contextmanager
def connection(url: str) -> Iterator[Connection]:
    """A connection to ``url`` in a transaction committed on exit, on an engine of its own."""
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            yield conn
    finally:
        engine.dispose()


def tables_in(url: str) -> set[str]:
    with connection(url) as conn:
        return set(inspect(conn).get_table_names())


def execute(url: str, sql: str) -> None:
    with connection(url) as conn:
        conn.execute(text(sql))


def test_migrations_produce_exactly_the_described_schema(fresh_url: str) -> None:
    assert tables_in(fresh_url) == {*metadata.tables, "alembic_version"}
    assert schema_differences(fresh_url) == []


def test_sku_keys_compare_bytewise_on_postgresql() -> None:
    """Migration 0010 (Alembic's comparison does not look at collations)."""
    with postgres_database("acme_migrations") as url, connection(url) as conn:
        collation = conn.execute(
            text(
                "SELECT collation_name FROM information_schema.columns"
                " WHERE table_name = 'products' AND column_name = 'sku_key'"
            )
        ).scalar()
    assert collation == "C"


def test_the_comparison_notices_a_missing_index(fresh_url: str) -> None:
    dropped = "products_listing" if fresh_url.startswith("postgresql") else "outbox_events_pending"
    execute(fresh_url, f"DROP INDEX {dropped}")
    differences = schema_differences(fresh_url)
    assert [(d[0], d[1].name) for d in differences] == [("add_index", dropped)]


def test_downgrade_to_base_removes_everything_and_upgrade_rebuilds_it(fresh_url: str) -> None:
    downgrade(fresh_url, "base")
    assert tables_in(fresh_url) <= {"alembic_version"}
    upgrade(fresh_url)
    assert schema_differences(fresh_url) == []
