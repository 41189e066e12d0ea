"""Webhook use-case and dispatcher tests, run against the fakes (tests/unit) and the real SQL
adapters on SQLite and PostgreSQL (tests/integration). Each test takes ``uow_factory``: a
callable returning a fresh UnitOfWork on empty tables. Sending goes to a FakeSender; the
real HTTP path has its own integration tests."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from datetime import timedelta

import pytest

from acme.application import products as pc
from acme.application import webhooks as uc
from acme.application.ports import UnitOfWork
from acme.application.webhook_dispatch import DispatchConfig, Dispatcher, DispatchLoop
from acme.domain.errors import NotFoundError, ValidationError
from acme.domain.events import DomainEvent
from acme.domain.webhook import DeliveryStatus, RetryPolicy, SendError, SendResult
from tests.fakes import FakeAddressGuard, FakeClock, FakeSender

UowFactory = Callable[[], UnitOfWork]
A = "https://a.example/hook"
B = "https://b.example/hook"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def sender() -> FakeSender:
    return FakeSender()


@pytest.fixture
def guard() -> FakeAddressGuard:
    return FakeAddressGuard({"internal.example"})


@pytest.fixture
def dispatcher(uow_factory: UowFactory, clock: FakeClock, sender: FakeSender) -> Dispatcher:
    return Dispatcher(
        uow_factory,
        clock,
        sender,
        RetryPolicy(base_seconds=10, max_delay_seconds=600, give_up_after_seconds=3600),
        DispatchConfig(fan_out_batch=3, send_batch=2),
        rand=lambda: 0.5,
    )


def _add(uow: UowFactory, clock: FakeClock, url: str, events: list[str], enabled: bool = True):
    return uc.create_webhook(uow, clock, FakeAddressGuard(), uc.NewWebhook(url, events, enabled))


def test_create_returns_a_standard_webhooks_secret_and_stores_the_webhook(
    uow_factory: UowFactory, clock: FakeClock, guard: FakeAddressGuard
) -> None:
    w = uc.create_webhook(
        uow_factory,
        clock,
        guard,
        uc.NewWebhook(" https://a.example/hook ", ["product.updated", "product.created"]),
    )
    assert w.secret.startswith("whsec_") and len(w.secret) > 30
    got = uc.get_webhook(uow_factory, w.id or 0).webhook
    assert (got.url, got.events, got.enabled, got.secret) == (
        A,
        ["product.created", "product.updated"],
        True,
        w.secret,
    )
    assert [v.webhook.id for v in uc.list_webhooks(uow_factory)] == [w.id]


@pytest.mark.parametrize(
    ("url", "events", "message"),
    [
        ("ftp://a.example/x", ["product.created"], "http:// or https://"),
        ("https://", ["product.created"], "must name a host"),
        ("https://a.example/x", [], "at least one event"),
        ("https://a.example/x", ["product.exploded"], "unknown event type 'product.exploded'"),
        ("https://internal.example/x", ["product.created"], "private address"),
    ],
)
def test_invalid_webhooks_are_refused_with_a_readable_reason(
    uow_factory: UowFactory,
    clock: FakeClock,
    guard: FakeAddressGuard,
    url: str,
    events: list[str],
    message: str,
) -> None:
    with pytest.raises(ValidationError, match=message):
        uc.create_webhook(uow_factory, clock, guard, uc.NewWebhook(url, events))
    assert uc.list_webhooks(uow_factory) == []


def test_update_changes_fields_and_checks_a_new_url_against_the_guard(
    uow_factory: UowFactory, clock: FakeClock, guard: FakeAddressGuard
) -> None:
    w = _add(uow_factory, clock, A, ["product.created"])
    view = uc.update_webhook(
        uow_factory, guard, w.id or 0, uc.WebhookChanges(events=["import.failed"], enabled=False)
    )
    assert (view.webhook.events, view.webhook.enabled) == (["import.failed"], False)
    with pytest.raises(ValidationError, match="private address"):
        uc.update_webhook(
            uow_factory, guard, w.id or 0, uc.WebhookChanges(url="http://internal.example/")
        )
    assert uc.get_webhook(uow_factory, w.id or 0).webhook.url == A
    with pytest.raises(NotFoundError):
        uc.update_webhook(uow_factory, guard, 999, uc.WebhookChanges(enabled=True))


def test_fan_out_reaches_only_enabled_webhooks_subscribed_to_the_type(
    uow_factory: UowFactory, clock: FakeClock, sender: FakeSender, dispatcher: Dispatcher
) -> None:
    _add(uow_factory, clock, A, ["product.created", "product.deleted"])
    _add(uow_factory, clock, B, ["product.updated"])
    _add(uow_factory, clock, "https://off.example/", ["product.created"], enabled=False)
    p = pc.create_product(uow_factory, clock, pc.NewProduct("S1", "One"))
    pc.update_product(uow_factory, clock, p.id or 0, pc.ProductChanges(name="Uno"))
    pc.delete_product(uow_factory, clock, p.id or 0)
    dispatcher.run_once()
    assert sender.types_to(A) == ["product.created", "product.deleted"]
    assert sender.types_to(B) == ["product.updated"]
    assert sender.types_to("https://off.example/") == []
    payload = json.loads(sender.sent[0][2])
    assert set(payload) == {"id", "type", "created_at", "data"}
    assert payload["data"]["sku"] == "S1" and sender.sent[0][1] == payload["id"]
    # nothing is sent twice
    assert dispatcher.run_once() == 0
    assert len(sender.sent) == 3


def test_a_webhook_disabled_before_dispatch_receives_nothing(
    uow_factory: UowFactory, clock: FakeClock, sender: FakeSender, dispatcher: Dispatcher
) -> None:
    w = _add(uow_factory, clock, A, ["product.created"])
    pc.create_product(uow_factory, clock, pc.NewProduct("S1", "One"))
    uc.update_webhook(uow_factory, FakeAddressGuard(), w.id or 0, uc.WebhookChanges(enabled=False))
    dispatcher.run_once()
    assert sender.sent == []


def test_delete_all_sends_one_event_with_the_count(
    uow_factory: UowFactory, clock: FakeClock, sender: FakeSender, dispatcher: Dispatcher
) -> None:
    _add(uow_factory, clock, A, ["products.deleted_all"])
    for i in range(3):
        pc.create_product(uow_factory, clock, pc.NewProduct(f"S{i}", "n"))
    pc.delete_all_products(uow_factory, clock, confirm=True)
    dispatcher.run_once()
    assert sender.types_to(A) == ["products.deleted_all"]
    assert json.loads(sender.sent[0][2])["data"] == {"deleted": 3}


def test_a_rolled_back_change_sends_nothing(
    uow_factory: UowFactory, clock: FakeClock, sender: FakeSender, dispatcher: Dispatcher
) -> None:
    _add(uow_factory, clock, A, ["product.created"])
    with uow_factory() as uow:
        uow.events.publish(DomainEvent("product.created", {"sku": "ghost"}, clock.now()))
        uow.rollback()
    dispatcher.run_once()
    assert sender.sent == []


def test_a_retry_holds_back_later_events_of_that_webhook_only(
    uow_factory: UowFactory, clock: FakeClock, sender: FakeSender, dispatcher: Dispatcher
) -> None:
    a = _add(uow_factory, clock, A, ["product.created"])
    _add(uow_factory, clock, B, ["product.created"])
    sender.script[A] = [SendResult(503, 5)]
    for i in range(4):
        pc.create_product(uow_factory, clock, pc.NewProduct(f"S{i}", "n"))
    dispatcher.run_once()
    skus = lambda url: [json.loads(b)["data"]["sku"] for u, _, b in sender.sent if u == url]  # noqa: E731
    assert skus(A) == ["S0"]  # failed once; S1..S3 wait behind it
    assert skus(B) == ["S0", "S1", "S2", "S3"]
    log = uc.list_deliveries(uow_factory, a.id or 0)
    first = log[-1]
    assert (first.status, first.attempts, first.last_status_code) == (
        DeliveryStatus.PENDING,
        1,
        503,
    )
    assert first.next_attempt_at - (first.last_attempt_at or first.created_at) == timedelta(
        seconds=10
    )
    dispatcher.run_once()
    assert skus(A) == ["S0"]  # not due yet
    clock.current += timedelta(seconds=11)
    dispatcher.run_once()
    assert skus(A) == ["S0", "S0", "S1", "S2", "S3"]
    assert {d.status for d in uc.list_deliveries(uow_factory, a.id or 0)} == {
        DeliveryStatus.SUCCEEDED
    }


def test_client_errors_are_not_retried_and_do_not_block_later_events(
    uow_factory: UowFactory, clock: FakeClock, sender: FakeSender, dispatcher: Dispatcher
) -> None:
    w = _add(uow_factory, clock, A, ["product.created"])
    sender.script[A] = [SendResult(410, 3)]
    pc.create_product(uow_factory, clock, pc.NewProduct("S0", "n"))
    pc.create_product(uow_factory, clock, pc.NewProduct("S1", "n"))
    dispatcher.run_once()
    log = uc.list_deliveries(uow_factory, w.id or 0)
    assert [(d.status, d.attempts, d.last_status_code) for d in log] == [
        (DeliveryStatus.SUCCEEDED, 1, 200),
        (DeliveryStatus.FAILED, 1, 410),
    ]
    assert log[1].error == "the receiver answered HTTP 410"


def test_retries_stop_after_about_an_hour_and_the_delivery_fails(
    uow_factory: UowFactory, clock: FakeClock, sender: FakeSender, dispatcher: Dispatcher
) -> None:
    w = _add(uow_factory, clock, A, ["product.created"])
    down = SendResult(
        None, 1, "connection refused: nothing accepts connections", SendError.CONNECTION
    )
    sender.script[A] = [down] * 100
    pc.create_product(uow_factory, clock, pc.NewProduct("S0", "n"))
    attempt_times = []
    for _ in range(40):
        dispatcher.run_once()
        (d,) = uc.list_deliveries(uow_factory, w.id or 0)
        attempt_times.append(d.last_attempt_at)
        if d.status != DeliveryStatus.PENDING:
            break
        clock.current = d.next_attempt_at  # jump straight to the next retry
    # 10 s, 20 s, 40 s, ... capped at 10 min: attempt 11 is at ~50 min, its retry would be
    # past the hour, so the delivery fails there
    assert d.status == DeliveryStatus.FAILED
    assert d.attempts == 11 == len(sender.sent)
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(attempt_times)]
    assert [round(g) for g in gaps] == [10, 20, 40, 80, 160, 320, 600, 600, 600, 600]
    assert d.error is not None and d.error.startswith("connection refused")
    assert "gave up after" in d.error


def test_only_one_dispatcher_holds_a_webhooks_lease(
    uow_factory: UowFactory, clock: FakeClock, dispatcher: Dispatcher
) -> None:
    w = _add(uow_factory, clock, A, ["product.created"])
    pc.create_product(uow_factory, clock, pc.NewProduct("S0", "n"))
    dispatcher.fan_out()
    assert dispatcher.lease_due(5) == [w.id]
    assert dispatcher.lease_due(5) == []  # as another process would see it
    clock.current += timedelta(seconds=dispatcher.config.lease_seconds + 1)
    assert dispatcher.lease_due(5) == [w.id]  # a crashed holder's lease expires


def test_send_test_event_reports_the_outcome_and_logs_it(
    uow_factory: UowFactory, clock: FakeClock, sender: FakeSender
) -> None:
    w = _add(uow_factory, clock, A, ["product.created"], enabled=False)
    sender.script[A] = [
        SendResult(None, 10_000, "timeout: no response within 10 s", SendError.TIMEOUT)
    ]
    out = uc.send_test_event(uow_factory, clock, sender, w.id or 0)
    assert (out.ok, out.status_code, out.error) == (False, None, "timeout: no response within 10 s")
    out = uc.send_test_event(uow_factory, clock, sender, w.id or 0)
    assert (out.ok, out.status_code) == (True, 200)
    assert sender.types_to(A) == ["webhook.test", "webhook.test"]
    log = uc.list_deliveries(uow_factory, w.id or 0)
    assert [(d.event_type, d.status) for d in log] == [
        ("webhook.test", DeliveryStatus.SUCCEEDED),
        ("webhook.test", DeliveryStatus.FAILED),
    ]
    assert uc.get_webhook(uow_factory, w.id or 0).last_delivery is not None
    with pytest.raises(NotFoundError):
        uc.send_test_event(uow_factory, clock, sender, 999)


def test_delete_removes_the_webhook_and_its_log(
    uow_factory: UowFactory, clock: FakeClock, sender: FakeSender, dispatcher: Dispatcher
) -> None:
    w = _add(uow_factory, clock, A, ["product.created"])
    pc.create_product(uow_factory, clock, pc.NewProduct("S0", "n"))
    dispatcher.run_once()
    uc.delete_webhook(uow_factory, w.id or 0)
    assert uc.list_webhooks(uow_factory) == []
    with pytest.raises(NotFoundError):
        uc.list_deliveries(uow_factory, w.id or 0)
    with pytest.raises(NotFoundError):
        uc.delete_webhook(uow_factory, w.id or 0)


def test_retention_deletes_old_events_and_finished_deliveries_but_nothing_pending(
    uow_factory: UowFactory, clock: FakeClock, sender: FakeSender, dispatcher: Dispatcher
) -> None:
    w = _add(uow_factory, clock, A, ["product.created"])
    sender.script[A] = [SendResult(200, 1), SendResult(410, 1), SendResult(503, 1)]
    pc.create_product(uow_factory, clock, pc.NewProduct("S0", "n"))
    pc.create_product(uow_factory, clock, pc.NewProduct("S1", "n"))
    dispatcher.run_once()  # S0 succeeded, S1 failed (410 is not retried)
    pc.create_product(uow_factory, clock, pc.NewProduct("S2", "n"))
    dispatcher.run_once()  # S2 pending, to be retried
    pc.create_product(uow_factory, clock, pc.NewProduct("S3", "n"))  # not fanned out yet
    clock.current += timedelta(days=31)
    keep_all = Dispatcher(uow_factory, clock, sender, config=DispatchConfig(retention_days=0))
    assert keep_all.prune() == (0, 0)
    assert len(uc.list_deliveries(uow_factory, w.id or 0)) == 3

    loop = DispatchLoop(dispatcher)
    loop.step()  # the loop's first round deletes what retention has passed, then fans out
    left = uc.list_deliveries(uow_factory, w.id or 0)
    assert [(json.loads(d.body)["data"]["sku"], d.status) for d in left] == [
        ("S3", DeliveryStatus.PENDING),
        ("S2", DeliveryStatus.PENDING),
    ]
    assert dispatcher.prune(batch=1) == (0, 0)  # S3 was fanned out just now, S2 is pending

    dispatcher.run_once()  # what was kept is still delivered, in order
    skus = [json.loads(body)["data"]["sku"] for _, _, body in sender.sent]
    assert skus == ["S0", "S1", "S2", "S2", "S3"]
    clock.current += timedelta(days=31)
    assert dispatcher.prune(batch=1) == (1, 2)  # batches of one until nothing is left
    assert uc.list_deliveries(uow_factory, w.id or 0) == []
