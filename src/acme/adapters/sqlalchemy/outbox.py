"""EventPublisher that writes to the transactional outbox (same transaction as the change)."""

from __future__ import annotations

from sqlalchemy import Connection, insert

from acme.adapters.sqlalchemy.tables import outbox_events
from acme.application.ports import EventPublisher
from acme.domain.events import DomainEvent


class OutboxEventPublisher(EventPublisher):
    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self.published: list[DomainEvent] = []

    def publish(self, event: DomainEvent) -> None:
        self._conn.execute(
            insert(outbox_events).values(
                event_id=event.id,
                type=event.type,
                payload={
                    "id": event.id,
                    "type": event.type,
                    "created_at": event.created_at.isoformat(),
                    "data": event.data,
                },
                created_at=event.created_at,
            )
        )
        self.published.append(event)
