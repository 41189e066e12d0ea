"""Every port the use cases depend on, in one place. Adapters implement these classes."""

from acme.application.ports.clock import Clock
from acme.application.ports.events import EventPublisher
from acme.application.ports.health import DependencyCheck
from acme.application.ports.imports import (
    ImportJobRepository,
    ImportRow,
    MergeCounts,
    ProductBulkWriter,
    RowError,
    TaskQueue,
)
from acme.application.ports.products import (
    LIST_COUNT_CAP,
    LIST_COUNT_WALK,
    ProductFilter,
    ProductPage,
    ProductRepository,
    count_cap_after,
)
from acme.application.ports.storage import FileStorage
from acme.application.ports.uow import UnitOfWork
from acme.application.ports.uploads import UploadRepository
from acme.application.ports.webhooks import (
    AddressGuard,
    DeliveryRepository,
    OutboxEvent,
    OutboxReader,
    WebhookRepository,
    WebhookSender,
)

__all__ = [
    "LIST_COUNT_CAP",
    "LIST_COUNT_WALK",
    "AddressGuard",
    "Clock",
    "DeliveryRepository",
    "DependencyCheck",
    "EventPublisher",
    "FileStorage",
    "ImportJobRepository",
    "ImportRow",
    "MergeCounts",
    "OutboxEvent",
    "OutboxReader",
    "ProductBulkWriter",
    "ProductFilter",
    "ProductPage",
    "ProductRepository",
    "RowError",
    "TaskQueue",
    "UnitOfWork",
    "UploadRepository",
    "WebhookRepository",
    "WebhookSender",
    "count_cap_after",
]
