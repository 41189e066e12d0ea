"""Pure webhook rules: validation, retry policy, delivery outcomes, address (SSRF) rules."""

from __future__ import annotations

import socket
from datetime import UTC, datetime, timedelta

import httpcore
import pytest

from acme.adapters.webhooks.guard import AddressRefused, DnsAddressGuard, GuardedNetworkBackend
from acme.domain.errors import ValidationError
from acme.domain.webhook import (
    Delivery,
    DeliveryStatus,
    RetryPolicy,
    SendError,
    SendResult,
    Webhook,
    address_refusal,
    mask_secret,
    new_secret,
)

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def delivery() -> Delivery:
    return Delivery(1, "evt_1", "product.created", "{}", created_at=T0, next_attempt_at=T0)


def test_secret_is_standard_webhooks_form_and_masked_form_hides_it() -> None:
    import base64

    secret = new_secret()
    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret.removeprefix("whsec_"))) == 24
    assert new_secret() != secret
    masked = mask_secret(secret)
    assert masked.endswith(secret[-4:]) and secret[6:-4] not in masked


def test_webhook_keeps_events_in_canonical_order_without_duplicates() -> None:
    w = Webhook("http://x.example", ["import.failed", "product.created", "import.failed"])
    assert w.events == ["product.created", "import.failed"]
    assert w.subscribes_to("import.failed") and not w.subscribes_to("product.updated")
    w.enabled = False
    assert not w.subscribes_to("import.failed")


@pytest.mark.parametrize(
    "url",
    ["javascript:alert(1)", "http://user:pw@x.example/", "http://x.example:0/", "http://a b/"],
)
def test_bad_urls_are_refused(url: str) -> None:
    with pytest.raises(ValidationError):
        Webhook(url, ["product.created"])


def test_webhook_test_is_not_a_subscription() -> None:
    with pytest.raises(ValidationError, match=r"unknown event type 'webhook\.test'"):
        Webhook("https://x.example", ["webhook.test"])


@pytest.mark.parametrize(
    ("result", "retried"),
    [
        (SendResult(500, 1), True),
        (SendResult(503, 1), True),
        (SendResult(429, 1), True),
        (SendResult(None, 1, "timeout", SendError.TIMEOUT), True),
        (SendResult(None, 1, "connection refused", SendError.CONNECTION), True),
        (SendResult(400, 1), False),
        (SendResult(404, 1), False),
        (SendResult(301, 1), False),
        (SendResult(None, 0, "private address", SendError.REFUSED), False),
    ],
)
def test_which_outcomes_are_retried(result: SendResult, retried: bool) -> None:
    assert RetryPolicy().should_retry(result) is retried
    d = delivery()
    d.record(result, T0, RetryPolicy(), 0.5)
    assert d.status == (DeliveryStatus.PENDING if retried else DeliveryStatus.FAILED)
    assert d.attempts == 1


def test_backoff_doubles_is_capped_and_jittered() -> None:
    p = RetryPolicy(base_seconds=5, max_delay_seconds=600, jitter=0.3)
    assert [p.delay(n, 0.5).total_seconds() for n in range(1, 9)] == [
        5,
        10,
        20,
        40,
        80,
        160,
        320,
        600,
    ]
    assert p.delay(20, 0.5) == timedelta(seconds=600)
    assert p.delay(1, 0.0) == timedelta(seconds=3.5)
    assert p.delay(1, 0.999999) < timedelta(seconds=6.5)


def test_success_clears_the_error_and_records_code_and_duration() -> None:
    d = delivery()
    d.record(SendResult(502, 12), T0, RetryPolicy(), 0.5)
    assert d.error == "the receiver answered HTTP 502"
    assert d.next_attempt_at == T0 + timedelta(seconds=5)
    assert not d.is_due(T0) and d.is_due(T0 + timedelta(seconds=5))
    d.record(SendResult(204, 7), d.next_attempt_at, RetryPolicy(), 0.5)
    assert (d.status, d.attempts, d.last_status_code, d.duration_ms, d.error) == (
        DeliveryStatus.SUCCEEDED,
        2,
        204,
        7,
        None,
    )


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("192.168.1.1", "private"),
        ("169.254.169.254", "link-local"),
        ("fe80::1", "link-local"),
        ("224.0.0.1", "multicast"),
        ("0.0.0.0", "unspecified"),
        ("::", "unspecified"),
        ("240.0.0.1", "reserved"),
        ("::ffff:127.0.0.1", "loopback"),
        ("100.64.0.1", "non-public"),
        ("fd00::1", "private"),
    ],
)
def test_non_public_addresses_are_refused(address: str, kind: str) -> None:
    why = address_refusal(address)
    assert why is not None and f"a {kind} address" in why


@pytest.mark.parametrize("address", ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111"])
def test_public_addresses_are_allowed(address: str) -> None:
    assert address_refusal(address) is None


def test_guard_refuses_a_name_if_any_of_its_addresses_is_private() -> None:
    answers = {"good.example": ["93.184.216.34"], "mixed.example": ["93.184.216.34", "10.0.0.5"]}

    def resolver(host: str, port: int) -> list[str]:
        if host not in answers:
            raise OSError("no such host")
        return answers[host]

    guard = DnsAddressGuard(allow_private=False, resolver=resolver)
    assert guard.refusal("https://good.example/hook") is None
    why = guard.refusal("https://mixed.example/hook")
    assert why is not None
    assert "'mixed.example' resolves to 10.0.0.5 is a private address" in why
    assert "ACME_WEBHOOK_ALLOW_PRIVATE" in why
    # a name that does not resolve fails later, at send time, as a retryable DNS failure
    assert guard.refusal("https://nowhere.example/") is None
    # the metadata endpoint, by IP
    guard_ip = DnsAddressGuard(allow_private=False, resolver=lambda h, p: [h])
    assert "link-local" in (guard_ip.refusal("http://169.254.169.254/latest/") or "")
    # allowed when the setting says so
    assert DnsAddressGuard(True, resolver).refusal("https://mixed.example/") is None


def test_dns_rebinding_is_caught_because_every_check_resolves_again() -> None:
    answers = iter([["93.184.216.34"], ["127.0.0.1"]])
    guard = DnsAddressGuard(allow_private=False, resolver=lambda h, p: next(answers))
    assert guard.refusal("https://rebind.example/") is None  # at create
    assert "loopback" in (guard.refusal("https://rebind.example/") or "")  # at send


def test_the_connecting_backend_refuses_before_any_socket_is_opened() -> None:
    """The check at connect time (GuardedNetworkBackend): one resolution, checked, then
    connected to; a private answer never reaches a socket. (Connecting is tested against
    real receivers in tests/integration/test_webhook_delivery.py.)"""
    answers = {"metadata.example": ["93.184.216.34", "169.254.169.254"]}

    def resolver(host: str, port: int) -> list[str]:
        if host not in answers:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return answers[host]

    backend = GuardedNetworkBackend(allow_private=False, resolver=resolver)
    with pytest.raises(AddressRefused, match=r"169\.254\.169\.254 is a link-local address"):
        backend.connect_tcp("metadata.example", 80)
    with pytest.raises(httpcore.ConnectError) as failed:
        backend.connect_tcp("nowhere.example", 80)
    assert isinstance(failed.value.__cause__, socket.gaierror)  # described as a DNS failure
    with pytest.raises(httpcore.ConnectError, match="TCP only"):
        backend.connect_unix_socket("/run/anything.sock")
