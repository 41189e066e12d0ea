"""Webhook, delivery and outbox-reading repositories on SQLAlchemy Core.

Claims are safe with several dispatcher processes on PostgreSQL: outbox fan-out runs under a
transaction-scoped advisory lock with ``FOR UPDATE SKIP LOCKED`` rows, and a webhook's
sending lease is taken with ``FOR UPDATE SKIP LOCKED`` plus a compare-and-set update (the
same update alone is atomic on SQLite, which has one writer at a time).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Connection,
    Integer,
    String,
    Text,
    bindparam,
    cast,
    delete,
    func,
    insert,
    literal,
    or_,
    select,
    text,
    update,
)

from acme.adapters.secret_box import SecretBox
from acme.adapters.sqlalchemy.tables import BigId, outbox_events, webhook_deliveries, webhooks
from acme.application.ports import (
    DeliveryRepository,
    OutboxEvent,
    OutboxReader,
    WebhookRepository,
)
from acme.domain.webhook import Delivery, DeliveryStatus, Webhook

D = webhook_deliveries
W = webhooks
FAN_OUT_LOCK_KEY = 0x41434D45  # "ACME": one fan-out at a time keeps per-webhook event order


def _row_to_webhook(row: Any, box: SecretBox | None) -> Webhook:
    return Webhook(
        url=row.url,
        events=list(row.events),
        secret=row.secret if box is None else box.open(row.secret),
        enabled=row.enabled,
        id=row.id,
        created_at=row.created_at,
    )


def _row_to_delivery(row: Any) -> Delivery:
    return Delivery(
        webhook_id=row.webhook_id,
        event_id=row.event_id,
        event_type=row.event_type,
        body=row.body,
        created_at=row.created_at,
        next_attempt_at=row.next_attempt_at,
        status=DeliveryStatus(row.status),
        attempts=row.attempts,
        last_status_code=row.last_status_code,
        duration_ms=row.duration_ms,
        error=row.error,
        last_attempt_at=row.last_attempt_at,
        id=row.id,
    )


def _is_postgresql(conn: Connection) -> bool:
    return conn.dialect.name == "postgresql"


class SqlWebhookRepository(WebhookRepository):
    """``box`` encrypts the signing secrets at rest (the container always passes one; without
    it they are stored as they are)."""

    def __init__(self, conn: Connection, box: SecretBox | None = None) -> None:
        self._conn = conn
        self._box = box

    def add(self, webhook: Webhook) -> Webhook:
        secret = webhook.secret if self._box is None else self._box.seal(webhook.secret)
        webhook.id = self._conn.execute(
            insert(W)
            .values(
                url=webhook.url,
                events=list(webhook.events),
                secret=secret,
                enabled=webhook.enabled,
                created_at=webhook.created_at,
            )
            .returning(W.c.id)
        ).scalar_one()
        return webhook

    def get(self, webhook_id: int) -> Webhook | None:
        row = self._conn.execute(select(W).where(W.c.id == webhook_id)).first()
        return _row_to_webhook(row, self._box) if row else None

    def list(self) -> list[Webhook]:
        return [
            _row_to_webhook(r, self._box) for r in self._conn.execute(select(W).order_by(W.c.id))
        ]

    def reseal_secrets(self) -> int:
        """Encrypt under the box's first key every secret that is not yet (stored before
        encryption, or under an older key); returns how many. Raises SecretUnreadable when a
        secret opens with none of the keys."""
        if self._box is None:
            return 0
        rows = self._conn.execute(select(W.c.id, W.c.secret).with_for_update()).all()
        stale = [(r.id, r.secret) for r in rows if not self._box.is_current(r.secret)]
        for webhook_id, stored in stale:
            self._conn.execute(
                update(W).where(W.c.id == webhook_id).values(secret=self._box.reseal(stored))
            )
        return len(stale)

    def update(self, webhook: Webhook) -> None:
        self._conn.execute(
            update(W)
            .where(W.c.id == webhook.id)
            .values(url=webhook.url, events=list(webhook.events), enabled=webhook.enabled)
        )

    def delete(self, webhook_id: int) -> bool:
        self._conn.execute(delete(D).where(D.c.webhook_id == webhook_id))
        return self._conn.execute(delete(W).where(W.c.id == webhook_id)).rowcount > 0

    def lease(self, webhook_id: int, now: datetime, until: datetime) -> bool:
        free = or_(W.c.lease_until.is_(None), W.c.lease_until < now)
        if _is_postgresql(self._conn):
            locked = self._conn.execute(
                select(W.c.id).where(W.c.id == webhook_id, free).with_for_update(skip_locked=True)
            ).first()
            if locked is None:
                return False
        result = self._conn.execute(
            update(W).where(W.c.id == webhook_id, free).values(lease_until=until)
        )
        return result.rowcount == 1

    def release(self, webhook_id: int) -> None:
        self._conn.execute(update(W).where(W.c.id == webhook_id).values(lease_until=None))


class SqlOutboxReader(OutboxReader):
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def claim(self, limit: int) -> list[OutboxEvent]:
        if _is_postgresql(self._conn):
            got = self._conn.execute(
                text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": FAN_OUT_LOCK_KEY}
            ).scalar_one()
            if not got:
                return []
        rows = self._conn.execute(
            select(
                outbox_events.c.id,
                outbox_events.c.event_id,
                outbox_events.c.type,
                outbox_events.c.payload,
            )
            .where(outbox_events.c.dispatched_at.is_(None))
            .order_by(outbox_events.c.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        ).all()
        return [OutboxEvent(seq=r.id, event_id=r.event_id, type=r.type) for r in rows]

    def delete_dispatched_before(self, cutoff: datetime, limit: int) -> int:
        oldest = (
            select(outbox_events.c.id)
            .where(outbox_events.c.dispatched_at < cutoff)
            .order_by(outbox_events.c.id)
            .limit(limit)
            .scalar_subquery()
        )
        result = self._conn.execute(delete(outbox_events).where(outbox_events.c.id.in_(oldest)))
        return int(result.rowcount)

    def mark_dispatched(self, seqs: Sequence[int], now: datetime) -> None:
        if seqs:
            self._conn.execute(
                update(outbox_events)
                .where(outbox_events.c.id.in_(list(seqs)))
                .values(dispatched_at=now)
            )

    def pending_count(self) -> int:
        return self._conn.execute(
            select(func.count())
            .select_from(outbox_events)
            .where(outbox_events.c.dispatched_at.is_(None))
        ).scalar_one()


def _delivery_values(d: Delivery) -> dict[str, Any]:
    return {
        "webhook_id": d.webhook_id,
        "event_id": d.event_id,
        "event_type": d.event_type,
        "body": d.body,
        "status": d.status.value,
        "attempts": d.attempts,
        "last_status_code": d.last_status_code,
        "duration_ms": d.duration_ms,
        "error": d.error,
        "created_at": d.created_at,
        "next_attempt_at": d.next_attempt_at,
        "last_attempt_at": d.last_attempt_at,
    }


class SqlDeliveryRepository(DeliveryRepository):
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def add_many(self, deliveries: Sequence[Delivery]) -> None:
        if deliveries:
            self._conn.execute(insert(D), [_delivery_values(d) for d in deliveries])

    def add(self, delivery: Delivery) -> Delivery:
        delivery.id = self._conn.execute(
            insert(D).values(_delivery_values(delivery)).returning(D.c.id)
        ).scalar_one()
        return delivery

    def add_for_events(self, webhook_id: int, seqs: Sequence[int], now: datetime) -> None:
        o = outbox_events
        source = (
            select(
                literal(webhook_id, BigId),
                o.c.event_id,
                o.c.type,
                cast(o.c.payload, Text),
                literal(DeliveryStatus.PENDING.value, String()),
                literal(0, Integer()),
                literal(now, D.c.created_at.type),
                literal(now, D.c.next_attempt_at.type),
            )
            .where(o.c.id.in_(list(seqs)))
            .order_by(o.c.id)
        )
        columns = [
            "webhook_id",
            "event_id",
            "event_type",
            "body",
            "status",
            "attempts",
            "created_at",
            "next_attempt_at",
        ]
        self._conn.execute(insert(D).from_select(columns, source))

    def save_attempts(self, deliveries: Sequence[Delivery]) -> None:
        if not deliveries:
            return
        stmt = (
            update(D)
            .where(D.c.id == bindparam("_id"))
            .values(
                status=bindparam("_status"),
                attempts=bindparam("_attempts"),
                last_status_code=bindparam("_code"),
                duration_ms=bindparam("_ms"),
                error=bindparam("_error"),
                next_attempt_at=bindparam("_next", type_=D.c.next_attempt_at.type),
                last_attempt_at=bindparam("_last", type_=D.c.last_attempt_at.type),
            )
        )
        self._conn.execute(
            stmt,
            [
                {
                    "_id": d.id,
                    "_status": d.status.value,
                    "_attempts": d.attempts,
                    "_code": d.last_status_code,
                    "_ms": d.duration_ms,
                    "_error": d.error,
                    "_next": d.next_attempt_at,
                    "_last": d.last_attempt_at,
                }
                for d in deliveries
            ],
        )

    def webhooks_with_due_head(self, now: datetime, limit: int) -> list[int]:
        pending = D.c.status == DeliveryStatus.PENDING.value
        heads = select(func.min(D.c.id)).where(pending).group_by(D.c.webhook_id)
        query = (
            select(D.c.webhook_id)
            .join(W, W.c.id == D.c.webhook_id)
            .where(
                D.c.id.in_(heads.scalar_subquery()),
                D.c.next_attempt_at <= now,
                W.c.enabled.is_(True),
                or_(W.c.lease_until.is_(None), W.c.lease_until < now),
            )
            .order_by(D.c.next_attempt_at)
            .limit(limit)
        )
        return list(self._conn.scalars(query))

    def pending_head(self, webhook_id: int, limit: int) -> list[Delivery]:
        rows = self._conn.execute(
            select(D)
            .where(D.c.webhook_id == webhook_id, D.c.status == DeliveryStatus.PENDING.value)
            .order_by(D.c.id)
            .limit(limit)
        )
        return [_row_to_delivery(r) for r in rows]

    def list_for_webhook(self, webhook_id: int, limit: int) -> list[Delivery]:
        rows = self._conn.execute(
            select(D).where(D.c.webhook_id == webhook_id).order_by(D.c.id.desc()).limit(limit)
        )
        return [_row_to_delivery(r) for r in rows]

    def delete_finished_before(self, cutoff: datetime, limit: int) -> int:
        d = webhook_deliveries
        oldest = (
            select(d.c.id)
            .where(d.c.status != DeliveryStatus.PENDING.value, d.c.created_at < cutoff)
            .order_by(d.c.id)
            .limit(limit)
            .scalar_subquery()
        )
        return int(self._conn.execute(delete(d).where(d.c.id.in_(oldest))).rowcount)

    def latest_by_webhook(self) -> dict[int, Delivery]:
        latest = select(func.max(D.c.id)).where(D.c.attempts > 0).group_by(D.c.webhook_id)
        rows = self._conn.execute(select(D).where(D.c.id.in_(latest.scalar_subquery())))
        return {r.webhook_id: _row_to_delivery(r) for r in rows}
