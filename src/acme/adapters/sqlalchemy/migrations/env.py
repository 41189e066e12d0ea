"""Alembic environment: runs on the connection handed in by acme.adapters.sqlalchemy.migrate."""

from alembic import context
from sqlalchemy import Connection

from acme.adapters.sqlalchemy.engine import build_engine
from acme.adapters.sqlalchemy.migrate import include_object_for
from acme.adapters.sqlalchemy.tables import metadata

config = context.config


def _configure(connection: Connection) -> None:
    dialect = connection.dialect.name
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=dialect == "sqlite",
        include_object=include_object_for(dialect),
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
