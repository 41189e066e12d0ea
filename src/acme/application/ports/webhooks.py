from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from acme.domain.webhook import Delivery, SendResult, Webhook


class WebhookRepository(ABC):
    @abstractmethod
    def add(self, webhook: Webhook) -> Webhook:
        """Insert and return the stored webhook (with its id)."""

    @abstractmethod
    def get(self, webhook_id: int) -> Webhook | None: ...

    @abstractmethod
    def list(self) -> list[Webhook]:
        """Every webhook, oldest first."""

    @abstractmethod
    def update(self, webhook: Webhook) -> None: ...

    @abstractmethod
    def delete(self, webhook_id: int) -> bool:
        """Delete the webhook and its deliveries; return whether it existed."""

    @abstractmethod
    def lease(self, webhook_id: int, now: datetime, until: datetime) -> bool:
        """Take the webhook's sending lease if nobody holds it (or it expired at ``now``).

        Only the holder sends that webhook's deliveries, which keeps them in order even with
        several dispatcher processes. Atomic: of two concurrent callers at most one wins."""

    @abstractmethod
    def release(self, webhook_id: int) -> None: ...


@dataclass(frozen=True)
class OutboxEvent:
    """A committed domain event waiting to be fanned out (``seq``: its outbox position)."""

    seq: int
    event_id: str
    type: str


class OutboxReader(ABC):
    @abstractmethod
    def claim(self, limit: int) -> list[OutboxEvent]:
        """The oldest undispatched events, locked for this unit of work (other dispatchers skip
        them); empty if another dispatcher is fanning out right now."""

    @abstractmethod
    def mark_dispatched(self, seqs: Sequence[int], now: datetime) -> None: ...

    @abstractmethod
    def pending_count(self) -> int: ...

    @abstractmethod
    def delete_dispatched_before(self, cutoff: datetime, limit: int) -> int:
        """Delete up to ``limit`` events fanned out before ``cutoff``, oldest first; return
        how many. Events not fanned out yet are never deleted."""


class DeliveryRepository(ABC):
    @abstractmethod
    def add_many(self, deliveries: Sequence[Delivery]) -> None: ...

    @abstractmethod
    def add(self, delivery: Delivery) -> Delivery: ...

    @abstractmethod
    def add_for_events(self, webhook_id: int, seqs: Sequence[int], now: datetime) -> None:
        """Create a pending delivery, due at ``now``, of each of these outbox events for the
        webhook, in event order; the body sent is the event's stored payload. (Set-based in
        SQL: fan-out holds the database's write lock for as short a time as possible.)"""

    @abstractmethod
    def save_attempts(self, deliveries: Sequence[Delivery]) -> None:
        """Store status, attempts, last status code, duration, error and next attempt time."""

    @abstractmethod
    def webhooks_with_due_head(self, now: datetime, limit: int) -> list[int]:
        """Enabled webhooks whose oldest pending delivery is due at ``now``."""

    @abstractmethod
    def pending_head(self, webhook_id: int, limit: int) -> list[Delivery]:
        """The webhook's oldest pending deliveries, in event order."""

    @abstractmethod
    def list_for_webhook(self, webhook_id: int, limit: int) -> list[Delivery]:
        """The webhook's most recent deliveries, newest first."""

    @abstractmethod
    def delete_finished_before(self, cutoff: datetime, limit: int) -> int:
        """Delete up to ``limit`` succeeded or failed deliveries created before ``cutoff``,
        oldest first; return how many. Pending deliveries are never deleted."""

    @abstractmethod
    def latest_by_webhook(self) -> dict[int, Delivery]:
        """Each webhook's most recent delivery attempt (deliveries never tried are skipped)."""


class WebhookSender(ABC):
    """Sends one signed request (Standard Webhooks). Never raises for network trouble: the
    outcome, including timeouts, refused connections, TLS and DNS errors, is a SendResult."""

    @abstractmethod
    def send(self, url: str, secret: str, message_id: str, body: str) -> SendResult: ...


class AddressGuard(ABC):
    """The SSRF check: may a webhook be sent to this URL's host?"""

    @abstractmethod
    def refusal(self, url: str) -> str | None:
        """None if allowed, else a sentence saying why not."""
