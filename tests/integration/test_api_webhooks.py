"""The webhooks REST API (in-process ASGI, with its lifespan: the embedded dispatcher runs),
on both databases, against a real local receiver."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import standardwebhooks
from fastapi.testclient import TestClient

from tests.apps import make_app
from tests.receivers import Receiver, wait_until

SETTINGS = {"webhook_allow_private": True, "webhook_poll_seconds": 0.05}


@pytest.fixture
def client(database_url: str) -> Iterator[TestClient]:
    app = make_app(database_url, **SETTINGS)
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c
    app.state.container.engine().dispose()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver().start()
    yield r
    r.stop()


def test_crud_shows_the_secret_once_and_masks_it_afterwards(
    client: TestClient, receiver: Receiver
) -> None:
    r = client.post("/api/webhooks", json={"url": receiver.url, "events": ["product.created"]})
    assert r.status_code == 201, r.text
    created = r.json()
    assert set(created) >= {"id", "url", "events", "enabled", "secret", "created_at"}
    secret = created["secret"]
    assert secret.startswith("whsec_") and len(secret) > 30
    got = client.get(f"/api/webhooks/{created['id']}").json()
    assert got["secret"] != secret and got["secret"].endswith(secret[-4:])
    assert secret[6:-4] not in got["secret"]
    assert [w["id"] for w in client.get("/api/webhooks").json()] == [created["id"]]

    r = client.patch(
        f"/api/webhooks/{created['id']}",
        json={"events": ["product.updated", "import.completed"], "enabled": False},
    )
    assert r.status_code == 200, r.text
    assert (r.json()["events"], r.json()["enabled"]) == (
        ["product.updated", "import.completed"],
        False,
    )
    assert client.delete(f"/api/webhooks/{created['id']}").status_code == 204
    assert client.get(f"/api/webhooks/{created['id']}").status_code == 404
    assert client.get("/api/webhooks").json() == []


def test_product_changes_reach_the_receiver_and_show_in_the_delivery_log(
    client: TestClient, receiver: Receiver
) -> None:
    hook = client.post(
        "/api/webhooks", json={"url": receiver.url, "events": ["product.created"]}
    ).json()
    client.post("/api/products", json={"sku": "API-1", "name": "n"})
    wait_until(lambda: len(receiver.received) == 1, what="the product.created delivery")
    standardwebhooks.Webhook(hook["secret"]).verify(
        receiver.received[0].body, receiver.received[0].headers
    )

    def logged() -> list[dict[str, object]]:
        body: list[dict[str, object]] = client.get(f"/api/webhooks/{hook['id']}/deliveries").json()
        return body

    wait_until(lambda: logged()[0]["status"] == "succeeded", what="the log entry")
    (entry,) = logged()
    assert (entry["event_type"], entry["attempts"], entry["last_status_code"]) == (
        "product.created",
        1,
        200,
    )
    assert entry["next_attempt_at"] is None
    listed = client.get("/api/webhooks").json()[0]
    assert listed["last_delivery"]["status"] == "succeeded"


def test_test_endpoint_returns_the_contract_shape(client: TestClient, receiver: Receiver) -> None:
    hook = client.post(
        "/api/webhooks", json={"url": receiver.url, "events": ["product.created"]}
    ).json()
    r = client.post(f"/api/webhooks/{hook['id']}/test")
    assert r.status_code == 200
    body = r.json()
    assert set(body) == {"ok", "status_code", "duration_ms", "error"}
    assert (body["ok"], body["status_code"], body["error"]) == (True, 200, None)
    assert receiver.types() == ["webhook.test"]
    assert client.post("/api/webhooks/999/test").status_code == 404


@pytest.mark.parametrize(
    ("payload", "fragment"),
    [
        ({"url": "ftp://x.example/", "events": ["product.created"]}, "http:// or https://"),
        ({"url": "https://x.example/", "events": ["nope"]}, "unknown event type 'nope'"),
        ({"url": "https://x.example/", "events": []}, "events"),
        ({"url": "https://x.example/"}, "events"),
    ],
)
def test_bad_input_is_a_readable_4xx(
    client: TestClient, payload: dict[str, object], fragment: str
) -> None:
    r = client.post("/api/webhooks", json=payload)
    assert r.status_code == 422
    assert fragment in r.json()["detail"]
    assert client.get("/api/webhooks").json() == []


def test_private_addresses_are_refused_unless_allowed(database_url: str) -> None:
    app = make_app(database_url)  # ACME_WEBHOOK_ALLOW_PRIVATE defaults to false
    try:
        with TestClient(app) as c:
            for url in ("http://127.0.0.1:9/hook", "http://169.254.169.254/latest/meta-data"):
                r = c.post("/api/webhooks", json={"url": url, "events": ["product.created"]})
                assert r.status_code == 422
                assert "ACME_WEBHOOK_ALLOW_PRIVATE" in r.json()["detail"]
            assert "link-local" in r.json()["detail"]
            assert c.get("/api/webhooks").json() == []
    finally:
        app.state.container.engine().dispose()


def test_an_import_sends_one_import_completed_event_with_its_counts(
    client: TestClient, receiver: Receiver
) -> None:
    client.post(
        "/api/webhooks",
        json={"url": receiver.url, "events": ["import.completed", "product.created"]},
    )
    rows = "".join(f"SKU-{i},Name {i}\n" for i in range(200))
    r = client.post("/api/imports", files={"file": ("c.csv", ("sku,name\n" + rows).encode())})
    assert r.status_code == 202, r.text
    wait_until(lambda: receiver.types() == ["import.completed"], what="the import event")
    data = receiver.received[0].payload["data"]
    assert data["created"] == 200
    assert r.json()["id"] in str(data)
