from __future__ import annotations

from abc import ABC, abstractmethod
from types import TracebackType
from typing import Self

from acme.application.ports.events import EventPublisher
from acme.application.ports.imports import ImportJobRepository, ProductBulkWriter
from acme.application.ports.products import ProductRepository
from acme.application.ports.uploads import UploadRepository
from acme.application.ports.webhooks import DeliveryRepository, OutboxReader, WebhookRepository


class UnitOfWork(ABC):
    """One transaction. Rolls back unless ``commit()`` is called; use as a context manager."""

    products: ProductRepository
    events: EventPublisher
    imports: ImportJobRepository
    bulk: ProductBulkWriter
    uploads: UploadRepository
    webhooks: WebhookRepository
    deliveries: DeliveryRepository
    outbox: OutboxReader

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.rollback()

    @abstractmethod
    def commit(self, *, durable: bool = True) -> None:
        """Make the changes permanent and visible. ``durable=False`` may return before they
        have reached the disk: a crash of the database server can then lose the last such
        commits (never half of one). For progress that the next write supersedes anyway."""

    @abstractmethod
    def rollback(self) -> None:
        """Undo everything not yet committed. Safe to call after commit (then a no-op)."""
