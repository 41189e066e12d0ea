"""Webhooks, their deliveries, the retry policy and the address rules (all pure)."""

from __future__ import annotations

import base64
import ipaddress
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from urllib.parse import urlsplit

from acme.domain.errors import ValidationError
from acme.domain.events import EVENT_TYPES, WEBHOOK_TEST

MAX_URL_LENGTH = 2000
SECRET_PREFIX = "whsec_"  # noqa: S105 (a format prefix, not a secret)
#: Event types a webhook may subscribe to (``webhook.test`` is sent on request, to anyone).
SUBSCRIBABLE_EVENTS: tuple[str, ...] = tuple(t for t in EVENT_TYPES if t != WEBHOOK_TEST)


def new_secret() -> str:
    """A fresh signing secret in the Standard Webhooks form ``whsec_<base64 of 24 bytes>``."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(24)).decode("ascii")


def mask_secret(secret: str) -> str:
    """What the API shows after creation: the prefix and the last four characters."""
    return f"{SECRET_PREFIX}…{secret[-4:]}"


def validate_url(raw: str) -> str:
    url = raw.strip()
    if not url:
        raise ValidationError("URL must not be empty", field="url")
    if len(url) > MAX_URL_LENGTH:
        raise ValidationError(f"URL is longer than {MAX_URL_LENGTH} characters", field="url")
    if any(ch.isspace() or ord(ch) < 32 for ch in url):
        raise ValidationError("URL must not contain spaces or control characters", field="url")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise ValidationError(f"URL is not valid: {exc}", field="url") from exc
    if parts.scheme.lower() not in ("http", "https"):
        raise ValidationError("URL must start with http:// or https://", field="url")
    if not parts.hostname:
        raise ValidationError("URL must name a host, as in https://example.com/hook", field="url")
    if parts.username or parts.password:
        raise ValidationError("URL must not contain a user name or password", field="url")
    if port == 0:
        raise ValidationError("URL port must be between 1 and 65535", field="url")
    return url


def validate_events(raw: list[str] | tuple[str, ...]) -> list[str]:
    chosen: list[str] = []
    for item in raw:
        name = item.strip()
        if name not in SUBSCRIBABLE_EVENTS:
            known = ", ".join(SUBSCRIBABLE_EVENTS)
            raise ValidationError(
                f"unknown event type '{name}'; choose from {known}", field="events"
            )
        if name not in chosen:
            chosen.append(name)
    if not chosen:
        raise ValidationError("choose at least one event type", field="events")
    return sorted(chosen, key=SUBSCRIBABLE_EVENTS.index)


@dataclass
class Webhook:
    url: str
    events: list[str]
    secret: str = field(default_factory=new_secret)
    enabled: bool = True
    id: int | None = None
    created_at: datetime | None = None

    def __post_init__(self) -> None:
        self.url = validate_url(self.url)
        self.events = validate_events(self.events)
        if not self.secret.startswith(SECRET_PREFIX):
            raise ValidationError("secret must have the form whsec_<base64>", field="secret")

    def subscribes_to(self, event_type: str) -> bool:
        return self.enabled and event_type in self.events

    def change(
        self,
        *,
        url: str | None = None,
        events: list[str] | None = None,
        enabled: bool | None = None,
    ) -> bool:
        before = (self.url, list(self.events), self.enabled)
        if url is not None:
            self.url = validate_url(url)
        if events is not None:
            self.events = validate_events(events)
        if enabled is not None:
            self.enabled = enabled
        return before != (self.url, self.events, self.enabled)


# --- sending outcomes --------------------------------------------------------------------


class SendError(StrEnum):
    """Why a request got no HTTP response. Every kind but REFUSED is worth retrying."""

    TIMEOUT = "timeout"
    CONNECTION = "connection"
    REFUSED = "refused"  # the address guard said no (SSRF); retrying cannot help


@dataclass(frozen=True)
class SendResult:
    """One HTTP attempt: a status code, or an error in plain words (and its kind)."""

    status_code: int | None
    duration_ms: int
    error: str | None = None
    error_kind: SendError | None = None

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


# --- retry policy ------------------------------------------------------------------------


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with jitter, for about an hour, then give up.

    Retried: timeouts, connection errors (refused, reset, DNS, TLS), 429 and 5xx.
    Not retried: other 4xx, 3xx (redirects are not followed) and addresses refused by the
    SSRF guard. Attempt n (1-based) waits ``base * 2**(n-1)`` capped at ``max_delay``,
    scaled by a random factor in ``[1 - jitter, 1 + jitter]``.
    """

    base_seconds: float = 5.0
    max_delay_seconds: float = 600.0
    give_up_after_seconds: float = 3600.0
    jitter: float = 0.3

    def should_retry(self, result: SendResult) -> bool:
        if result.status_code is None:
            return result.error_kind != SendError.REFUSED
        return result.status_code == 429 or result.status_code >= 500

    def delay(self, attempts: int, rand: float) -> timedelta:
        """Wait after the ``attempts``-th failed attempt; ``rand`` is uniform in [0, 1)."""
        raw = min(self.max_delay_seconds, self.base_seconds * 2 ** max(0, attempts - 1))
        factor = 1 - self.jitter + 2 * self.jitter * rand
        return timedelta(seconds=raw * factor)


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


@dataclass
class Delivery:
    """One event on its way to one webhook."""

    webhook_id: int
    event_id: str
    event_type: str
    body: str
    created_at: datetime
    next_attempt_at: datetime
    status: DeliveryStatus = DeliveryStatus.PENDING
    attempts: int = 0
    last_status_code: int | None = None
    duration_ms: int | None = None
    error: str | None = None
    last_attempt_at: datetime | None = None
    id: int | None = None

    def is_due(self, now: datetime) -> bool:
        return self.status == DeliveryStatus.PENDING and self.next_attempt_at <= now

    def record(self, result: SendResult, now: datetime, policy: RetryPolicy, rand: float) -> None:
        """Apply one attempt's outcome: succeeded, scheduled for retry, or failed for good."""
        self.attempts += 1
        self.last_attempt_at = now
        self.last_status_code = result.status_code
        self.duration_ms = result.duration_ms
        if result.ok:
            self.status = DeliveryStatus.SUCCEEDED
            self.error = None
            return
        self.error = result.error or f"the receiver answered HTTP {result.status_code}"
        if not policy.should_retry(result):
            self.status = DeliveryStatus.FAILED
            return
        retry_at = now + policy.delay(self.attempts, rand)
        if (retry_at - self.created_at).total_seconds() > policy.give_up_after_seconds:
            self.status = DeliveryStatus.FAILED
            self.error = f"{self.error} (gave up after {self.attempts} attempts)"
            return
        self.next_attempt_at = retry_at


# --- address rules (SSRF) ----------------------------------------------------------------


def address_refusal(address: str) -> str | None:
    """Why a webhook may not be sent to this IP address, or None if it is public."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return f"'{address}' is not an IP address"
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    checks = (
        (ip.is_unspecified, "unspecified"),
        (ip.is_loopback, "loopback"),
        (ip.is_link_local, "link-local"),
        (ip.is_multicast, "multicast"),
        (ip.is_reserved, "reserved"),
        (ip.is_private, "private"),
        (not ip.is_global, "non-public"),
    )
    for hit, kind in checks:
        if hit:
            return f"{ip} is a {kind} address"
    return None
