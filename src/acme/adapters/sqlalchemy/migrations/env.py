"""Alembic environment: runs on the connection handed in by acme.adapters.sqlalchemy.migrate."""

from typing import Any

from alembic import context
from sqlalchemy import Connection

from acme.adapters.sqlalchemy.engine import build_engine
from acme.adapters.sqlalchemy.tables import metadata, on_dialect

config = context.config


def _configure(connection: Connection) -> None:
    dialect = connection.dialect.name

    def include_object(obj: Any, name: str | None, kind: str, reflected: bool, other: Any) -> bool:
        # Autogenerate compares only what tables.py says exists on this backend.
        return reflected or on_dialect(obj, dialect)

    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=dialect == "sqlite",
        include_object=include_object,
    )


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = build_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.begin() as conn:
        _configure(conn)
        with context.begin_transaction():
            context.run_migrations()


run()
