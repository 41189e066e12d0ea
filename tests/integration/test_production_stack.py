"""The production shape on one machine: the web app (in-process here) and an `acme worker`
process share nothing but PostgreSQL, Redis (database 7, a queue of their own) and an
S3-compatible bucket (moto in server mode), with ACME_API_TOKEN set. An upload the web app
stores in S3 is imported by the worker reading it from S3."""

from __future__ import annotations

import base64
import os
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import redis
from fastapi.testclient import TestClient

from tests.apps import TEST_SECRET_KEY, make_app
from tests.databases import empty_tables
from tests.integration.csv_files import write_catalog
from tests.integration.worker_process import worker_process
from tests.s3server import new_bucket, s3_client, s3_server

REDIS_URL = "redis://127.0.0.1:6379/7"
TOKEN = "stack-token-" + uuid.uuid4().hex
TUS = {"Tus-Resumable": "1.0.0"}
AWS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    with s3_server() as endpoint:
        yield endpoint


@pytest.fixture
def queue() -> Iterator[str]:
    name = f"acme-prod-test-{uuid.uuid4().hex[:10]}"
    yield name
    client = redis.Redis.from_url(REDIS_URL)
    client.delete(name, f"_kombu.binding.{name}")
    client.close()


def _wait(client: TestClient, job_id: str, timeout: float = 180) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job: dict[str, Any] = client.get(f"/api/imports/{job_id}").json()
        if job["status"] in ("completed", "failed", "cancelled"):
            return job
        time.sleep(0.1)
    raise AssertionError(f"import {job_id} did not finish: {job}")


@contextmanager
def stack(
    postgres_url: str, s3_endpoint: str, queue: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[TestClient, str]]:
    """The web app (an in-process client) and an `acme worker` process; yields the client and
    the bucket. The client sends no credentials until the test adds them."""
    empty_tables(postgres_url)
    for name, value in AWS.items():
        monkeypatch.setenv(name, value)
    bucket = new_bucket(s3_endpoint)
    settings = {
        "ACME_DATABASE_URL": postgres_url,
        "ACME_BROKER_URL": REDIS_URL,
        "ACME_TASK_QUEUE": queue,
        "ACME_STORAGE_URL": f"s3://{bucket}/acme",
        "ACME_S3_ENDPOINT_URL": s3_endpoint,
        "ACME_API_TOKEN": TOKEN,
        "ACME_SECRET_KEY": TEST_SECRET_KEY,
    }
    env = {k: v for k, v in os.environ.items() if not k.startswith("ACME_")} | settings
    app = make_app(
        postgres_url,
        broker_url=REDIS_URL,
        task_queue=queue,
        storage_url=settings["ACME_STORAGE_URL"],
        s3_endpoint_url=s3_endpoint,
        api_token=TOKEN,
    )
    try:
        with worker_process(env, tmp_path / "worker.log"), TestClient(app) as client:
            yield client, bucket
    finally:
        app.state.container.engine().dispose()
        empty_tables(postgres_url)


def _keys(endpoint: str, bucket: str) -> dict[str, int]:
    listed = s3_client(endpoint).list_objects_v2(Bucket=bucket, Prefix="acme/")
    return {o["Key"]: o["Size"] for o in listed.get("Contents", [])}


def test_web_and_worker_share_uploads_through_s3(
    postgres_url: str,
    s3_endpoint: str,
    queue: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    catalog = tmp_path / "catalog.csv"
    expected = write_catalog(catalog, 4_000, invalid_every=400)
    with stack(postgres_url, s3_endpoint, queue, tmp_path, monkeypatch) as (client, bucket):
        with catalog.open("rb") as f:
            refused = client.post("/api/imports", files={"file": ("catalog.csv", f, "text/csv")})
        assert refused.status_code == 401
        client.headers["Authorization"] = f"Bearer {TOKEN}"
        with catalog.open("rb") as f:
            r = client.post("/api/imports", files={"file": ("catalog.csv", f, "text/csv")})
        assert r.status_code == 202, r.text
        job = _wait(client, r.json()["id"])
        total = client.get("/api/products?page_size=1&count=exact").json()["total"]
        stored = _keys(s3_endpoint, bucket)

    assert job["status"] == "completed", job
    assert (job["created"], job["invalid"]) == (expected.unique, len(expected.invalid_lines))
    assert total == expected.unique
    assert catalog.stat().st_size in stored.values()  # the upload itself lives in S3


def test_a_resumable_upload_lands_in_s3_part_by_part_and_the_worker_imports_it(
    postgres_url: str,
    s3_endpoint: str,
    queue: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    catalog = tmp_path / "catalog.csv"
    expected = write_catalog(catalog, 3_000, invalid_every=300, recased_every=50)
    data = catalog.read_bytes()
    part = 40_000
    with stack(postgres_url, s3_endpoint, queue, tmp_path, monkeypatch) as (client, bucket):
        client.headers["Authorization"] = f"Bearer {TOKEN}"
        name = base64.b64encode(b"catalog.csv").decode()
        created = client.post(
            "/api/uploads",
            headers={**TUS, "Upload-Length": str(len(data)), "Upload-Metadata": f"filename {name}"},
        )
        assert created.status_code == 201, created.text
        url = created.headers["Location"]
        for offset in range(0, len(data), part):
            r = client.patch(
                url,
                headers={**TUS, "Content-Type": "application/offset+octet-stream",
                         "Upload-Offset": str(offset)},
                content=data[offset : offset + part],
            )  # fmt: skip
            assert r.status_code == 204, r.text
        stored = _keys(s3_endpoint, bucket)
        r = client.post(f"{url}/import")
        assert r.status_code == 202, r.text
        job = _wait(client, r.json()["id"])
        total = client.get("/api/products?page_size=1&count=exact").json()["total"]

    parts = {k: v for k, v in stored.items() if "/.parts/" in k}
    assert len(parts) == -(-len(data) // part)  # one S3 object per PATCH
    assert sum(parts.values()) == len(data)
    assert job["status"] == "completed", job
    assert (job["created"], job["invalid"], job["duplicates_in_file"]) == (
        expected.unique,
        len(expected.invalid_lines),
        expected.duplicates,
    )
    assert total == expected.unique
