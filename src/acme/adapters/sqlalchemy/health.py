"""Readiness check for the database."""

from __future__ import annotations

from sqlalchemy import Engine, text

from acme.application.ports import DependencyCheck


class DatabaseCheck(DependencyCheck):
    name = "database"

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def check(self) -> None:
        with self._engine.connect() as conn:
            conn.execute(text("SELECT 1"))
