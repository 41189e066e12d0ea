"""Webhook use cases: manage webhooks, send a test event, read the delivery log."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from acme.application.ports import AddressGuard, Clock, UnitOfWork, WebhookSender
from acme.domain.errors import NotFoundError, ValidationError
from acme.domain.events import WEBHOOK_TEST
from acme.domain.webhook import Delivery, DeliveryStatus, SendResult, Webhook

UowFactory = Callable[[], UnitOfWork]

MAX_DELIVERY_LOG = 200


@dataclass(frozen=True)
class NewWebhook:
    url: str
    events: list[str]
    enabled: bool = True


@dataclass(frozen=True)
class WebhookChanges:
    url: str | None = None
    events: list[str] | None = None
    enabled: bool | None = None


@dataclass(frozen=True)
class WebhookView:
    """A webhook with its most recent delivery attempt (None if nothing was sent yet)."""

    webhook: Webhook
    last_delivery: Delivery | None


@dataclass(frozen=True)
class TestOutcome:
    ok: bool
    status_code: int | None
    duration_ms: int
    error: str | None


def _check_address(guard: AddressGuard, url: str) -> None:
    refusal = guard.refusal(url)
    if refusal is not None:
        raise ValidationError(refusal, field="url")


def create_webhook(
    uow_factory: UowFactory, clock: Clock, guard: AddressGuard, data: NewWebhook
) -> Webhook:
    """Create a webhook; the returned entity carries the full secret (shown this once)."""
    webhook = Webhook(url=data.url, events=list(data.events), enabled=data.enabled)
    _check_address(guard, webhook.url)
    webhook.created_at = clock.now()
    with uow_factory() as uow:
        stored = uow.webhooks.add(webhook)
        uow.commit()
    return stored


def get_webhook(uow_factory: UowFactory, webhook_id: int) -> WebhookView:
    with uow_factory() as uow:
        webhook = uow.webhooks.get(webhook_id)
        if webhook is None:
            raise NotFoundError(f"webhook {webhook_id} not found")
        latest = uow.deliveries.list_for_webhook(webhook_id, 1)
    return WebhookView(webhook, latest[0] if latest and latest[0].attempts else None)


def list_webhooks(uow_factory: UowFactory) -> list[WebhookView]:
    with uow_factory() as uow:
        hooks = uow.webhooks.list()
        latest = uow.deliveries.latest_by_webhook()
    return [WebhookView(w, latest.get(w.id or 0)) for w in hooks]


def update_webhook(
    uow_factory: UowFactory, guard: AddressGuard, webhook_id: int, changes: WebhookChanges
) -> WebhookView:
    with uow_factory() as uow:
        webhook = uow.webhooks.get(webhook_id)
        if webhook is None:
            raise NotFoundError(f"webhook {webhook_id} not found")
        old_url = webhook.url
        if webhook.change(url=changes.url, events=changes.events, enabled=changes.enabled):
            if webhook.url != old_url:
                _check_address(guard, webhook.url)
            uow.webhooks.update(webhook)
            uow.commit()
    return get_webhook(uow_factory, webhook_id)


def delete_webhook(uow_factory: UowFactory, webhook_id: int) -> None:
    with uow_factory() as uow:
        if not uow.webhooks.delete(webhook_id):
            raise NotFoundError(f"webhook {webhook_id} not found")
        uow.commit()


def list_deliveries(uow_factory: UowFactory, webhook_id: int, limit: int = 50) -> list[Delivery]:
    if not 1 <= limit <= MAX_DELIVERY_LOG:
        raise ValidationError(f"limit must be between 1 and {MAX_DELIVERY_LOG}", field="limit")
    with uow_factory() as uow:
        if uow.webhooks.get(webhook_id) is None:
            raise NotFoundError(f"webhook {webhook_id} not found")
        return uow.deliveries.list_for_webhook(webhook_id, limit)


def event_body(event_id: str, event_type: str, created_at: datetime, data: dict[str, Any]) -> str:
    """The exact JSON body sent for an event: ``{"id", "type", "created_at", "data"}``."""
    payload = {"id": event_id, "type": event_type, "created_at": created_at.isoformat()}
    payload["data"] = data  # type: ignore[assignment]
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False)


def send_test_event(
    uow_factory: UowFactory, clock: Clock, sender: WebhookSender, webhook_id: int
) -> TestOutcome:
    """Send a ``webhook.test`` event now (enabled or not) and report what happened.

    The attempt is recorded in the delivery log; it is never retried."""
    with uow_factory() as uow:
        webhook = uow.webhooks.get(webhook_id)
    if webhook is None:
        raise NotFoundError(f"webhook {webhook_id} not found")
    now = clock.now()
    event_id = f"evt_{uuid.uuid4().hex}"
    body = event_body(
        event_id,
        WEBHOOK_TEST,
        now,
        {"webhook_id": webhook_id, "message": "This is a test event from Acme Importer."},
    )
    result: SendResult = sender.send(webhook.url, webhook.secret, event_id, body)
    delivery = Delivery(
        webhook_id=webhook_id,
        event_id=event_id,
        event_type=WEBHOOK_TEST,
        body=body,
        created_at=now,
        next_attempt_at=now,
        attempts=1,
        last_status_code=result.status_code,
        duration_ms=result.duration_ms,
        error=None if result.ok else (result.error or f"HTTP {result.status_code}"),
        last_attempt_at=clock.now(),
        status=DeliveryStatus.SUCCEEDED if result.ok else DeliveryStatus.FAILED,
    )
    with uow_factory() as uow:
        if uow.webhooks.get(webhook_id) is not None:
            uow.deliveries.add(delivery)
            uow.commit()
    return TestOutcome(
        ok=result.ok,
        status_code=result.status_code,
        duration_ms=result.duration_ms,
        error=delivery.error,
    )
