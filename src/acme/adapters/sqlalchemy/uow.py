"""The SQLAlchemy unit of work: one connection, one transaction, rolled back by default."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import TracebackType
from typing import Any, Self

from sqlalchemy import Connection, Engine, text

from acme.adapters.secret_box import SecretBox
from acme.adapters.sqlalchemy.bulk_sqlite import SqliteBulkWriter
from acme.adapters.sqlalchemy.imports import SqlImportJobRepository
from acme.adapters.sqlalchemy.outbox import OutboxEventPublisher
from acme.adapters.sqlalchemy.products import SqlProductRepository
from acme.adapters.sqlalchemy.uploads import SqlUploadRepository
from acme.adapters.sqlalchemy.webhooks import (
    SqlDeliveryRepository,
    SqlOutboxReader,
    SqlWebhookRepository,
)
from acme.application.ports import ProductBulkWriter, UnitOfWork


class SqlUnitOfWork(UnitOfWork):
    def __init__(
        self,
        engine: Engine,
        after_commit: Callable[[], None] | None = None,
        bulk_options: Mapping[str, Any] | None = None,
        secret_box: SecretBox | None = None,
    ) -> None:
        self._engine = engine
        self._secret_box = secret_box
        self._after_commit = after_commit
        self._bulk_options = dict(bulk_options or {})
        self._conn: Connection | None = None

    def __enter__(self) -> Self:
        self._conn = self._engine.connect()
        self._conn.begin()
        self.products = SqlProductRepository(self._conn)
        self.events = OutboxEventPublisher(self._conn)
        self.uploads = SqlUploadRepository(self._conn)
        self.imports = SqlImportJobRepository(self._conn)
        self.bulk = self._bulk_writer(self._conn)
        self.webhooks = SqlWebhookRepository(self._conn, self._secret_box)
        self.deliveries = SqlDeliveryRepository(self._conn)
        self.outbox = SqlOutboxReader(self._conn)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            self.rollback()
        finally:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def _bulk_writer(self, conn: Connection) -> ProductBulkWriter:
        if self._engine.dialect.name == "postgresql":
            from acme.adapters.sqlalchemy.bulk_postgres import PostgresBulkWriter

            return PostgresBulkWriter(conn, self._engine, **self._bulk_options)
        return SqliteBulkWriter(conn)

    @property
    def connection(self) -> Connection:
        if self._conn is None:
            raise RuntimeError("unit of work used outside its 'with' block")
        return self._conn

    def commit(self, *, durable: bool = True) -> None:
        conn = self.connection
        published = (
            bool(self.events.published) if isinstance(self.events, OutboxEventPublisher) else False
        )
        if not durable and conn.dialect.name == "postgresql" and conn.in_transaction():
            # The commit returns without waiting for its WAL to be flushed. An import's
            # progress commits used to wait for the flush of everything its COPY had written
            # meanwhile (12-23 ms each, 4 times a second, in the loop that reads the file).
            conn.execute(text("SET LOCAL synchronous_commit = off"))
        conn.commit()
        if published and self._after_commit is not None:
            self._after_commit()

    def rollback(self) -> None:
        if self._conn is not None and self._conn.in_transaction():
            self._conn.rollback()
