"""Throw-away databases for tests: each run creates its own and drops it afterwards.

PostgreSQL comes from ACME_TEST_DATABASE_URL (an admin connection; default: the local server's
``postgres`` database). Tests never touch a database they did not create.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from acme.adapters.sqlalchemy.migrate import upgrade

ADMIN_URL = os.environ.get(
    "ACME_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


@contextmanager
def postgres_database(prefix: str = "acme_test", *, migrate: bool = True) -> Iterator[str]:
    """A new PostgreSQL database (migrated unless ``migrate`` is false); yields its URL and
    drops it on exit. The benchmarks use it too."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    try:
        if migrate:
            upgrade(url)
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def sqlite_database(folder: Path) -> Iterator[str]:
    """A new, migrated SQLite file database under ``folder``."""
    url = f"sqlite:///{folder / f'acme-{uuid.uuid4().hex[:8]}.db'}"
    upgrade(url)
    yield url


TABLES_TO_EMPTY = (
    "webhook_deliveries",
    "webhooks",
    "outbox_events",
    "products",
    "uploads",
    "import_errors",
    "import_jobs",
)


def empty_tables(url: str) -> None:
    """Delete every row the tests wrote, keeping the schema (fast reset between tests)."""
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            for table in TABLES_TO_EMPTY:
                conn.execute(text(f"DELETE FROM {table}"))
    finally:
        engine.dispose()
