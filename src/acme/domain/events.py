"""Domain events: facts other systems may be told about (through webhooks)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

PRODUCT_CREATED = "product.created"
PRODUCT_UPDATED = "product.updated"
PRODUCT_DELETED = "product.deleted"
PRODUCTS_DELETED_ALL = "products.deleted_all"
IMPORT_COMPLETED = "import.completed"
IMPORT_FAILED = "import.failed"
WEBHOOK_TEST = "webhook.test"

EVENT_TYPES: tuple[str, ...] = (
    PRODUCT_CREATED,
    PRODUCT_UPDATED,
    PRODUCT_DELETED,
    PRODUCTS_DELETED_ALL,
    IMPORT_COMPLETED,
    IMPORT_FAILED,
    WEBHOOK_TEST,
)


@dataclass(frozen=True)
class DomainEvent:
    type: str
    data: dict[str, Any]
    created_at: datetime
    id: str = field(default_factory=lambda: f"evt_{uuid.uuid4().hex}")
