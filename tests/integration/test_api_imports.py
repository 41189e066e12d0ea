"""The /api/imports routes over HTTP (in-process ASGI) on both databases, with a recording
task queue so jobs stay where the test puts them: what the contract promises, checked
against what was stored (job rows, files in storage)."""

from __future__ import annotations

import csv
import hashlib
import io
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from dependency_injector import providers
from fastapi import FastAPI
from fastapi.testclient import TestClient

from acme.application.ports import RowError
from acme.entrypoints.container import Container
from tests.apps import make_app
from tests.fakes import FakeTaskQueue

JOB_FIELDS = {
    "id",
    "status",
    "phase",
    "percent",
    "bytes_total",
    "bytes_done",
    "rows_total",
    "rows_done",
    "created",
    "updated",
    "unchanged",
    "invalid",
    "duplicates_in_file",
    "error",
    "errors_url",
    "created_at",
    "finished_at",
}
CSV = b'sku,name,description\nA-1,Chair,"oak, 4 legs"\nA-2,Table,\n'


@pytest.fixture
def queue() -> FakeTaskQueue:
    return FakeTaskQueue()


@pytest.fixture
def app(database_url: str, tmp_path: Path, queue: FakeTaskQueue) -> Iterator[FastAPI]:
    app = make_app(database_url, storage_url=f"file://{tmp_path / 'files'}")
    app.state.container.task_queue.override(providers.Object(queue))
    yield app
    app.state.container.engine().dispose()


@pytest.fixture
def container(app: FastAPI) -> Container:
    c: Container = app.state.container
    return c


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def upload(client: TestClient, data: bytes = CSV, name: str = "products.csv") -> dict[str, object]:
    r = client.post("/api/imports", files={"file": (name, data, "text/csv")})
    assert r.status_code == 202, r.text
    body: dict[str, object] = r.json()
    return body


def test_post_returns_202_with_the_contract_shape_and_stores_the_file(
    client: TestClient, container: Container, queue: FakeTaskQueue
) -> None:
    body = upload(client)
    assert set(body) >= JOB_FIELDS
    assert (body["status"], body["phase"], body["bytes_total"], body["filename"]) == (
        "queued",
        "queued",
        len(CSV),
        "products.csv",
    )
    assert body["errors_url"] == f"/api/imports/{body['id']}/errors.csv"
    with container.storage().open(f"imports/{body['id']}") as f:
        assert f.read() == CSV
    assert queue.enqueued == [body["id"]]
    assert client.get(f"/api/imports/{body['id']}").json() == body


def test_a_large_upload_is_stored_byte_for_byte(client: TestClient, container: Container) -> None:
    data = b"sku,name\n" + b"".join(b"S-%d,name %d\n" % (i, i) for i in range(300_000))
    data += os.urandom(16).hex().encode()  # an incompressible, unique tail
    body = upload(client, data)
    assert body["bytes_total"] == len(data)
    with container.storage().open(f"imports/{body['id']}") as f:
        assert hashlib.sha256(f.read()).hexdigest() == hashlib.sha256(data).hexdigest()


def test_list_is_newest_first(client: TestClient) -> None:
    ids = [upload(client, name=f"f{i}.csv")["id"] for i in range(3)]
    assert [j["id"] for j in client.get("/api/imports").json()] == ids[::-1]
    assert [j["id"] for j in client.get("/api/imports?limit=1").json()] == ids[-1:]


@pytest.mark.parametrize(
    ("files", "data", "message"),
    [
        ({"file": ("empty.csv", b"", "text/csv")}, None, "'empty.csv' is empty"),
        ({"file": ("logo.png", b"\x89PNG\r\n", "image/png")}, None, "'logo.png' is not a CSV"),
        ({"file": ("book.csv", b"PK\x03\x04zzzz", "text/csv")}, None, "contains binary data"),
        ({"other": ("a.csv", CSV, "text/csv")}, None, "no 'file' file field"),
        (None, {"file": "sku,name"}, "multipart/form-data"),
    ],
)
def test_bad_uploads_are_422_with_a_readable_message_and_create_nothing(
    client: TestClient,
    queue: FakeTaskQueue,
    files: dict[str, tuple[str, bytes, str]] | None,
    data: dict[str, str] | None,
    message: str,
) -> None:
    r = client.post("/api/imports", files=files, data=data)
    assert r.status_code == 422, r.text
    assert message in r.json()["detail"]
    assert client.get("/api/imports").json() == []
    assert queue.enqueued == []


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/imports/nope"),
        ("GET", "/api/imports/nope/events"),
        ("GET", "/api/imports/nope/errors.csv"),
        ("POST", "/api/imports/nope/cancel"),
        ("POST", "/api/imports/nope/retry"),
    ],
)
def test_unknown_import_is_404_everywhere(client: TestClient, method: str, path: str) -> None:
    r = client.request(method, path)
    assert r.status_code == 404
    assert r.json() == {"detail": "import nope not found"}


def test_cancel_then_retry_then_conflicts(client: TestClient, queue: FakeTaskQueue) -> None:
    job = upload(client)
    r = client.post(f"/api/imports/{job['id']}/cancel")
    assert r.status_code == 200
    assert (r.json()["status"], r.json()["phase"]) == ("cancelled", "cancelled")
    again = client.post(f"/api/imports/{job['id']}/cancel")
    assert again.status_code == 409
    assert "already cancelled" in again.json()["detail"]

    r = client.post(f"/api/imports/{job['id']}/retry")
    assert r.status_code == 202
    assert client.get(f"/api/imports/{job['id']}").json()["status"] == "queued"
    assert queue.enqueued == [job["id"], job["id"]]
    r = client.post(f"/api/imports/{job['id']}/retry")
    assert r.status_code == 409
    assert "only failed or cancelled imports can be retried" in r.json()["detail"]


def test_events_of_a_finished_import_is_one_final_event_with_the_job(
    client: TestClient,
) -> None:
    job = upload(client)
    client.post(f"/api/imports/{job['id']}/cancel")
    r = client.get(f"/api/imports/{job['id']}/events")
    assert r.headers["content-type"].startswith("text/event-stream")
    events = [block for block in r.text.split("\n\n") if block.startswith("event:")]
    assert len(events) == 1
    kind, data = events[0].split("\n", 1)
    assert kind == "event: cancelled"
    assert data.startswith("data: {")
    assert '"status":"cancelled"' in data


def test_errors_csv_streams_the_rejected_rows_quoted(
    client: TestClient, container: Container
) -> None:
    job = upload(client)
    rows = [
        RowError(7, 'Q"1', "name", "name is required"),
        RowError(3, "A,2", "active", "active must be true/false/1/0/yes/no, got 'maybe'"),
    ]
    with container.uow() as uow:
        uow.imports.add_errors(str(job["id"]), rows)
        uow.commit()
    r = client.get(str(job["errors_url"]))
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    assert list(csv.reader(io.StringIO(r.text))) == [
        ["line", "sku", "column", "reason"],
        ["3", "A,2", "active", "active must be true/false/1/0/yes/no, got 'maybe'"],
        ["7", 'Q"1', "name", "name is required"],
    ]
