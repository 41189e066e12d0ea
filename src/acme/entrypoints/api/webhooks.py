"""/api/webhooks: parse, call one use case, render."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from acme.application import webhooks as use_cases
from acme.domain.webhook import Delivery, DeliveryStatus, Webhook, mask_secret
from acme.entrypoints.api.deps import TheClock, TheContainer, Uow

router = APIRouter(prefix="/api/webhooks", tags=["webhooks"])


class WebhookIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(min_length=1, max_length=2000, examples=["https://example.com/hooks/acme"])
    events: list[str] = Field(min_length=1, examples=[["product.created", "import.completed"]])
    enabled: bool = True


class WebhookPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str | None = Field(default=None, min_length=1, max_length=2000)
    events: list[str] | None = None
    enabled: bool | None = None


class DeliveryOut(BaseModel):
    id: int
    event_id: str
    event_type: str
    status: str
    attempts: int
    last_status_code: int | None
    duration_ms: int | None
    error: str | None
    created_at: datetime
    last_attempt_at: datetime | None
    next_attempt_at: datetime | None = Field(description="when the next retry is due (pending)")

    @classmethod
    def of(cls, d: Delivery) -> DeliveryOut:
        return cls(
            id=d.id or 0,
            event_id=d.event_id,
            event_type=d.event_type,
            status=d.status.value,
            attempts=d.attempts,
            last_status_code=d.last_status_code,
            duration_ms=d.duration_ms,
            error=d.error,
            created_at=d.created_at,
            last_attempt_at=d.last_attempt_at,
            next_attempt_at=d.next_attempt_at if d.status == DeliveryStatus.PENDING else None,
        )


class WebhookOut(BaseModel):
    id: int
    url: str
    events: list[str]
    enabled: bool
    secret: str = Field(description="whsec_<base64>: in full on create only, masked afterwards")
    created_at: datetime
    last_delivery: DeliveryOut | None = None

    @classmethod
    def of(
        cls, webhook: Webhook, last: Delivery | None = None, *, reveal: bool = False
    ) -> WebhookOut:
        assert webhook.id is not None and webhook.created_at is not None
        return cls(
            id=webhook.id,
            url=webhook.url,
            events=list(webhook.events),
            enabled=webhook.enabled,
            secret=webhook.secret if reveal else mask_secret(webhook.secret),
            created_at=webhook.created_at,
            last_delivery=DeliveryOut.of(last) if last else None,
        )


class TestOut(BaseModel):
    ok: bool
    status_code: int | None
    duration_ms: int
    error: str | None


@router.get("", response_model=list[WebhookOut])
def list_webhooks(uow: Uow) -> list[WebhookOut]:
    return [WebhookOut.of(v.webhook, v.last_delivery) for v in use_cases.list_webhooks(uow)]


@router.post("", response_model=WebhookOut, status_code=201)
def create_webhook(body: WebhookIn, uow: Uow, clock: TheClock, c: TheContainer) -> WebhookOut:
    webhook = use_cases.create_webhook(
        uow, clock, c.address_guard(), use_cases.NewWebhook(body.url, body.events, body.enabled)
    )
    return WebhookOut.of(webhook, reveal=True)


@router.get("/{webhook_id}", response_model=WebhookOut)
def get_webhook(webhook_id: int, uow: Uow) -> WebhookOut:
    view = use_cases.get_webhook(uow, webhook_id)
    return WebhookOut.of(view.webhook, view.last_delivery)


@router.patch("/{webhook_id}", response_model=WebhookOut)
def update_webhook(webhook_id: int, body: WebhookPatch, uow: Uow, c: TheContainer) -> WebhookOut:
    changes = use_cases.WebhookChanges(**body.model_dump(exclude_unset=True))
    view = use_cases.update_webhook(uow, c.address_guard(), webhook_id, changes)
    return WebhookOut.of(view.webhook, view.last_delivery)


@router.delete("/{webhook_id}", status_code=204)
def delete_webhook(webhook_id: int, uow: Uow) -> Response:
    use_cases.delete_webhook(uow, webhook_id)
    return Response(status_code=204)


@router.post("/{webhook_id}/test", response_model=TestOut)
def test_webhook(webhook_id: int, uow: Uow, clock: TheClock, c: TheContainer) -> TestOut:
    """Send a ``webhook.test`` event now; the answer says what the receiver did."""
    outcome = use_cases.send_test_event(uow, clock, c.webhook_sender(), webhook_id)
    return TestOut(
        ok=outcome.ok,
        status_code=outcome.status_code,
        duration_ms=outcome.duration_ms,
        error=outcome.error,
    )


@router.get("/{webhook_id}/deliveries", response_model=list[DeliveryOut])
def list_deliveries(
    webhook_id: int,
    uow: Uow,
    limit: Annotated[int, Query(ge=1, le=use_cases.MAX_DELIVERY_LOG)] = 50,
) -> list[DeliveryOut]:
    return [DeliveryOut.of(d) for d in use_cases.list_deliveries(uow, webhook_id, limit)]
