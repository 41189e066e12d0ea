"""Webhook delivery end to end below the UI: real databases, the real dispatcher loop, the
real httpx sender and real HTTP receivers on 127.0.0.1 (fast, slow, failing then
recovering, down). Signatures are checked with the ``standardwebhooks`` package, as a
receiver would."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import standardwebhooks

from acme.adapters.webhooks.guard import DnsAddressGuard, GuardedNetworkBackend
from acme.adapters.webhooks.sender import HttpxWebhookSender
from acme.application import products as pc
from acme.application import webhooks as uc
from acme.domain.events import DomainEvent
from acme.domain.webhook import DeliveryStatus, SendError
from acme.entrypoints.container import Container
from tests.apps import make_container
from tests.receivers import Receiver, free_port, wait_until

FAST = {
    "webhook_allow_private": True,
    "webhook_retry_base_seconds": 0.05,
    "webhook_poll_seconds": 0.05,
    "webhook_timeout_seconds": 1.0,
}


@pytest.fixture
def container(database_url: str) -> Iterator[Container]:
    c = make_container(database_url, **FAST)
    yield c
    c.dispatch_loop().stop()
    c.webhook_sender().close()
    c.engine().dispose()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver().start()
    yield r
    r.stop()


def add_hook(c: Container, url: str, events: list[str], enabled: bool = True) -> Any:
    return uc.create_webhook(
        c.uow, c.clock(), c.address_guard(), uc.NewWebhook(url, events, enabled)
    )


def create(c: Container, sku: str) -> int:
    return pc.create_product(c.uow, c.clock(), pc.NewProduct(sku, f"name {sku}")).id or 0


def test_events_arrive_signed_per_standard_webhooks(
    container: Container, receiver: Receiver
) -> None:
    hook = add_hook(container, receiver.url, ["product.created", "product.updated"])
    container.dispatch_loop().start()
    pid = create(container, "SIG-1")
    pc.update_product(container.uow, container.clock(), pid, pc.ProductChanges(name="new"))
    wait_until(lambda: len(receiver.received) == 2, what="two deliveries")
    verifier = standardwebhooks.Webhook(hook.secret)
    for got in receiver.received:
        payload = verifier.verify(got.body, got.headers)
        assert payload["id"] == got.headers["webhook-id"]
        assert set(payload) == {"id", "type", "created_at", "data"}
    assert receiver.types() == ["product.created", "product.updated"]
    assert receiver.received[1].payload["data"]["name"] == "new"
    with pytest.raises(standardwebhooks.WebhookVerificationError):
        standardwebhooks.Webhook(uc_secret_other()).verify(
            receiver.received[0].body, receiver.received[0].headers
        )


def uc_secret_other() -> str:
    from acme.domain.webhook import new_secret

    return new_secret()


def test_a_failing_receiver_is_retried_with_backoff_and_keeps_event_order(
    container: Container,
) -> None:
    flaky = Receiver(fail_first=3).start()
    try:
        hook = add_hook(container, flaky.url, ["product.created"])
        container.dispatch_loop().start()
        for i in range(5):
            create(container, f"ORD-{i}")
        wait_until(lambda: len(flaky.received) == 5, what="all five after recovery")
        wait_until(
            lambda: all(
                d.status == DeliveryStatus.SUCCEEDED
                for d in uc.list_deliveries(container.uow, hook.id)
            ),
            what="the delivery log to record the results",
        )
        assert flaky.skus() == [f"ORD-{i}" for i in range(5)]
        assert flaky.answered == 8  # three 503s, then five successes
        log = uc.list_deliveries(container.uow, hook.id)
        first = log[-1]
        assert (first.status, first.attempts, first.last_status_code) == (
            DeliveryStatus.SUCCEEDED,
            4,
            200,
        )
        assert all(d.status == DeliveryStatus.SUCCEEDED and d.attempts == 1 for d in log[:-1])
    finally:
        flaky.stop()


def test_a_down_receiver_delays_delivery_without_losing_it(container: Container) -> None:
    port = free_port()
    hook = add_hook(container, f"http://127.0.0.1:{port}/hook", ["product.created"])
    container.dispatch_loop().start()
    create(container, "DOWN-1")
    create(container, "DOWN-2")

    def first_failed() -> bool:
        log = uc.list_deliveries(container.uow, hook.id)
        return bool(log) and log[-1].attempts >= 2

    wait_until(first_failed, what="retries against the down receiver")
    log = uc.list_deliveries(container.uow, hook.id)
    assert log[-1].status == DeliveryStatus.PENDING
    assert log[-1].error is not None and log[-1].error.startswith("connection refused")
    assert log[0].attempts == 0  # the later event waits behind the first
    up = Receiver(port=port).start()
    try:
        wait_until(lambda: len(up.received) == 2, what="delivery once the receiver is up")
        assert up.skus() == ["DOWN-1", "DOWN-2"]
    finally:
        up.stop()


def test_outbox_survives_a_dispatcher_restart_and_each_event_arrives_once(
    database_url: str, receiver: Receiver
) -> None:
    first = make_container(database_url, **FAST)
    add_hook(first, receiver.url, ["product.created", "product.deleted"])
    first.dispatch_loop().start()
    create(first, "R-1")
    wait_until(lambda: len(receiver.received) == 1, what="the first event")
    first.dispatch_loop().stop()  # the worker goes down
    create(first, "R-2")
    pid = create(first, "R-3")
    pc.delete_product(first.uow, first.clock(), pid)
    with first.uow() as uow:
        assert uow.outbox.pending_count() == 3  # kept, waiting
    first.engine().dispose()
    second = make_container(database_url, **FAST)  # a fresh worker process, in effect
    try:
        second.dispatch_loop().start()
        wait_until(lambda: len(receiver.received) == 4, what="the queued events")
        second.dispatch_loop().stop()
        assert receiver.skus() == ["R-1", "R-2", "R-3", "R-3"]
        assert receiver.types()[-1] == "product.deleted"
        ids = [r.headers["webhook-id"] for r in receiver.received]
        assert len(set(ids)) == 4
    finally:
        second.dispatch_loop().stop()
        second.engine().dispose()


def test_rolled_back_changes_and_disabled_webhooks_send_nothing_and_delete_all_sends_one(
    container: Container, receiver: Receiver
) -> None:
    other = Receiver().start()
    try:
        add_hook(container, receiver.url, ["product.created", "products.deleted_all"])
        add_hook(container, other.url, ["product.created", "products.deleted_all"], enabled=False)
        container.dispatch_loop().start()
        with container.uow() as uow:  # a change that fails after publishing
            uow.events.publish(
                DomainEvent("product.created", {"sku": "GHOST"}, container.clock().now())
            )
            uow.rollback()
        for i in range(3):
            create(container, f"DA-{i}")
        pc.delete_all_products(container.uow, container.clock(), confirm=True)
        wait_until(lambda: len(receiver.received) == 4, what="three creates and one delete-all")
        container.dispatch_loop().stop()
        assert receiver.types() == ["product.created"] * 3 + ["products.deleted_all"]
        assert "GHOST" not in receiver.skus()
        assert receiver.received[-1].payload["data"] == {"deleted": 3}
        assert other.received == [] and other.answered == 0
    finally:
        other.stop()


def test_the_test_event_reports_status_time_and_errors_in_plain_words(
    container: Container, receiver: Receiver
) -> None:
    ok = add_hook(container, receiver.url, ["product.created"])
    out = uc.send_test_event(container.uow, container.clock(), container.webhook_sender(), ok.id)
    assert (out.ok, out.status_code, out.error) == (True, 200, None)
    assert receiver.types() == ["webhook.test"]
    standardwebhooks.Webhook(ok.secret).verify(
        receiver.received[0].body, receiver.received[0].headers
    )

    slow = Receiver(delay=3).start()
    refused = free_port()
    try:
        cases = {
            slow.url: "timeout: no response within 1 s",
            f"http://127.0.0.1:{refused}/": "connection refused",
            f"https://127.0.0.1:{receiver.port}/": "TLS error",
            "http://no-such-host.invalid/": "DNS failure",
        }
        for url, expected in cases.items():
            hook = add_hook(container, url, ["product.created"])
            out = uc.send_test_event(
                container.uow, container.clock(), container.webhook_sender(), hook.id
            )
            assert out.ok is False and out.status_code is None
            assert out.error is not None and out.error.startswith(expected), (url, out.error)
    finally:
        slow.stop()
    failing = Receiver(status=418).start()
    try:
        hook = add_hook(container, failing.url, ["product.created"])
        out = uc.send_test_event(
            container.uow, container.clock(), container.webhook_sender(), hook.id
        )
        assert (out.ok, out.status_code) == (False, 418)
    finally:
        failing.stop()


def test_private_addresses_are_refused_at_send_time_too(
    database_url: str, receiver: Receiver
) -> None:
    permissive = make_container(database_url, **FAST)
    hook = add_hook(permissive, receiver.url, ["product.created"])  # allowed then
    strict = make_container(database_url, **{**FAST, "webhook_allow_private": False})
    try:
        create(strict, "P-1")
        strict.dispatcher().run_once()
        (d,) = uc.list_deliveries(strict.uow, hook.id)
        assert d.status == DeliveryStatus.FAILED
        assert d.error is not None and "127.0.0.1 is a loopback address" in d.error
        assert receiver.answered == 0
    finally:
        permissive.engine().dispose()
        strict.webhook_sender().close()
        strict.engine().dispose()


class Resolver:
    """A name server answering ``addresses`` for every name, recording what it was asked."""

    def __init__(self, *addresses: str) -> None:
        self.addresses = list(addresses)
        self.asked: list[str] = []

    def __call__(self, host: str, port: int) -> list[str]:
        self.asked.append(host)
        return self.addresses


def test_a_name_that_rebinds_to_loopback_after_the_check_is_refused_at_connect(
    receiver: Receiver,
) -> None:
    # DNS rebinding: the name is public when the URL is checked (at create or update) and
    # loopback when the connection is made. (Two resolvers play the one rebinding name
    # server, so that the public answer can never be connected to, whatever the code does.)
    at_check, at_connect = Resolver("93.184.216.34"), Resolver("127.0.0.1")
    url = f"http://rebind.test:{receiver.port}/hook"
    assert DnsAddressGuard(allow_private=False, resolver=at_check).refusal(url) is None
    sender = HttpxWebhookSender(
        GuardedNetworkBackend(allow_private=False, resolver=at_connect), timeout_seconds=1.0
    )
    try:
        result = sender.send(url, "c2VjcmV0", "m1", "{}")
    finally:
        sender.close()
    assert at_check.asked == at_connect.asked == ["rebind.test"]
    assert result.error_kind is SendError.REFUSED and result.status_code is None
    assert result.error is not None and "127.0.0.1 is a loopback address" in result.error
    assert receiver.answered == 0


def test_the_connection_goes_to_the_address_the_guard_resolved(receiver: Receiver) -> None:
    resolver = Resolver("127.0.0.1")  # for a name only this resolver knows
    sender = HttpxWebhookSender(
        GuardedNetworkBackend(allow_private=True, resolver=resolver), timeout_seconds=1.0
    )
    try:
        url = f"http://hooks.acme.test:{receiver.port}/hook"
        first = sender.send(url, "c2VjcmV0", "m1", '{"type": "webhook.test"}')
        second = sender.send(url, "c2VjcmV0", "m2", '{"type": "webhook.test"}')
    finally:
        sender.close()
    assert (first.status_code, second.status_code) == (200, 200)
    assert resolver.asked == ["hooks.acme.test"]  # one connection, kept alive for the second
    assert [r.headers["host"] for r in receiver.received] == [
        f"hooks.acme.test:{receiver.port}"
    ] * 2
