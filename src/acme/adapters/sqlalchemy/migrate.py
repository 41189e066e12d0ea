"""Apply the Alembic migrations that ship inside the package."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "heads") -> None:
    """Bring the database at ``url`` to the newest schema (every branch head)."""
    from acme.adapters.sqlalchemy.engine import build_engine

    engine = build_engine(url)
    try:
        with engine.begin() as conn:
            cfg = alembic_config(url)
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, revision)
    finally:
        engine.dispose()


def downgrade(url: str, revision: str = "base") -> None:
    from acme.adapters.sqlalchemy.engine import build_engine

    engine = build_engine(url)
    try:
        with engine.begin() as conn:
            cfg = alembic_config(url)
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, revision)
    finally:
        engine.dispose()


def include_object_for(dialect: str) -> Callable[..., bool]:
    """Autogenerate's filter: compare only what tables.py says exists on ``dialect``."""
    from acme.adapters.sqlalchemy.tables import on_dialect

    def include_object(obj: Any, name: str | None, kind: str, reflected: bool, other: Any) -> bool:
        if kind == "table" and name == "alembic_version":
            return False
        return reflected or on_dialect(obj, dialect)

    return include_object


def schema_differences(url: str) -> list[Any]:
    """What Alembic autogenerate would change to make the database at ``url`` match
    tables.py; empty when the migrations and the table descriptions agree."""
    from acme.adapters.sqlalchemy.engine import build_engine
    from acme.adapters.sqlalchemy.tables import metadata

    engine = build_engine(url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(
                conn,
                opts={
                    "include_object": include_object_for(conn.dialect.name),
                    "compare_type": True,
                },
            )
            return list(compare_metadata(context, metadata))
    finally:
        engine.dispose()
