"""/readyz against real dependencies: the database, and Redis as the broker (DB 8)."""

from __future__ import annotations

import os

from fastapi.testclient import TestClient

from tests.apps import make_app
from tests.servers import free_port

REDIS_URL = os.environ.get("ACME_TEST_REDIS_URL", "redis://127.0.0.1:6379/8")


def readyz(database_url: str, **settings: str) -> tuple[int, dict[str, object]]:
    app = make_app(database_url, **settings)
    try:
        with TestClient(app, raise_server_exceptions=False) as client:
            r = client.get("/readyz")
            return r.status_code, r.json()
    finally:
        app.state.container.engine().dispose()


def test_ready_with_the_database_and_no_broker(database_url: str) -> None:
    assert readyz(database_url, broker_url="") == (
        200,
        {"status": "ok", "checks": {"database": "ok"}},
    )


def test_ready_with_a_reachable_redis_broker(database_url: str) -> None:
    status, body = readyz(database_url, broker_url=REDIS_URL)
    assert (status, body["checks"]) == (200, {"database": "ok", "broker": "ok"})


def test_an_unreachable_broker_is_503_and_named(database_url: str) -> None:
    status, body = readyz(database_url, broker_url=f"redis://127.0.0.1:{free_port()}/8")
    assert status == 503
    assert body["status"] == "unavailable"
    assert body["checks"] == {"database": "ok", "broker": "unreachable (ConnectionError)"}
    assert body["detail"] == "not ready: broker unreachable"


def test_an_unreachable_database_is_503_and_named() -> None:
    url = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/nowhere"
    status, body = readyz(url, broker_url="")
    assert status == 503
    assert body["checks"] == {"database": "unreachable (OperationalError)"}
    assert body["detail"] == "not ready: database unreachable"
