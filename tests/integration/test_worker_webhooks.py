"""With a broker configured, `acme worker` (Celery) also runs the webhook dispatcher: events
committed by the web app (which then sends nothing itself) reach the receiver, including
those committed before the worker started."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import standardwebhooks

from acme.application import products as pc
from acme.application import webhooks as uc
from tests.apps import TEST_SECRET_KEY, make_container
from tests.integration.worker_process import worker_process
from tests.receivers import Receiver, wait_until

REDIS_URL = "redis://127.0.0.1:6379/5"  # one of the Redis databases assigned to webhooks


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver().start()
    yield r
    r.stop()


def forget_queue(queue: str) -> None:
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.delete(queue, f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}")
    finally:
        client.close()


def test_acme_worker_delivers_webhooks(
    postgres_url: str, tmp_path: Path, receiver: Receiver
) -> None:
    from tests.databases import empty_tables

    empty_tables(postgres_url)
    queue = f"acme-webhooks-test-{uuid.uuid4().hex[:10]}"
    settings = {"broker_url": REDIS_URL, "task_queue": queue, "webhook_allow_private": True}
    app_side = make_container(postgres_url, **settings)
    hook = uc.create_webhook(
        app_side.uow,
        app_side.clock(),
        app_side.address_guard(),
        uc.NewWebhook(receiver.url, ["product.created", "product.deleted"]),
    )
    pid = pc.create_product(app_side.uow, app_side.clock(), pc.NewProduct("W-1", "n")).id or 0
    env = {k: v for k, v in os.environ.items() if not k.startswith("ACME_")}
    env.update(
        ACME_DATABASE_URL=postgres_url,
        ACME_BROKER_URL=REDIS_URL,
        ACME_TASK_QUEUE=queue,
        ACME_STORAGE_URL=f"file://{tmp_path / 'files'}",
        ACME_WEBHOOK_ALLOW_PRIVATE="true",
        ACME_WEBHOOK_POLL_SECONDS="0.1",
        ACME_SECRET_KEY=TEST_SECRET_KEY,  # the web app's key: the worker reads its secrets
    )
    try:
        with worker_process(env, tmp_path / "worker.log"):
            wait_until(lambda: receiver.skus() == ["W-1"], what="the event queued before start")
            pc.delete_product(app_side.uow, app_side.clock(), pid)
            wait_until(lambda: receiver.types()[-1:] == ["product.deleted"], what="a new event")
    finally:
        forget_queue(queue)
        app_side.engine().dispose()
    assert receiver.types() == ["product.created", "product.deleted"]
    for got in receiver.received:
        standardwebhooks.Webhook(hook.secret).verify(got.body, got.headers)
