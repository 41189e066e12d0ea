"""The production shape on one machine: the web app (in-process here) and an `acme worker`
process share nothing but PostgreSQL, Redis (database 7, a queue of their own) and an
S3-compatible bucket (moto in server mode), with ACME_API_TOKEN set. An upload the web app
stores in S3 is imported by the worker reading it from S3."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from fastapi.testclient import TestClient

from tests.apps import make_app
from tests.databases import empty_tables
from tests.integration.csv_files import write_catalog
from tests.integration.worker_process import worker_process
from tests.s3server import new_bucket, s3_client, s3_server

REDIS_URL = "redis://127.0.0.1:6379/7"
TOKEN = "stack-token-" + uuid.uuid4().hex
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


def test_web_and_worker_share_uploads_through_s3(
    postgres_url: str,
    s3_endpoint: str,
    queue: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
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
    }
    env = {k: v for k, v in os.environ.items() if not k.startswith("ACME_")} | settings
    catalog = tmp_path / "catalog.csv"
    expected = write_catalog(catalog, 4_000, invalid_every=400)

    app = make_app(
        postgres_url,
        broker_url=REDIS_URL,
        task_queue=queue,
        storage_url=settings["ACME_STORAGE_URL"],
        s3_endpoint_url=s3_endpoint,
        api_token=TOKEN,
    )
    with worker_process(env, tmp_path / "worker.log"), TestClient(app) as client:
        with catalog.open("rb") as f:
            refused = client.post("/api/imports", files={"file": ("catalog.csv", f, "text/csv")})
        assert refused.status_code == 401
        client.headers["Authorization"] = f"Bearer {TOKEN}"
        with catalog.open("rb") as f:
            r = client.post("/api/imports", files={"file": ("catalog.csv", f, "text/csv")})
        assert r.status_code == 202, r.text
        job = _wait(client, r.json()["id"])
        before = client.get("/api/products?page_size=1&count=exact").json()["total"]
    app.state.container.engine().dispose()
    empty_tables(postgres_url)

    assert job["status"] == "completed", job
    assert (job["created"], job["invalid"]) == (expected.unique, len(expected.invalid_lines))
    assert before == expected.unique
    stored = s3_client(s3_endpoint).list_objects_v2(Bucket=bucket, Prefix="acme/")
    sizes = [o["Size"] for o in stored.get("Contents", [])]
    assert catalog.stat().st_size in sizes  # the upload itself lives in S3, under the prefix
