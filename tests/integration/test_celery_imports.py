"""Imports end to end on the production shape: the API on PostgreSQL, a Redis broker, and a
real ``acme worker`` (Celery) subprocess, including a worker SIGKILLed mid-import."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, func, select

from acme.adapters.sqlalchemy.tables import products
from tests.apps import TEST_SECRET_KEY, make_app
from tests.databases import empty_tables, postgres_database
from tests.integration.csv_files import Expected, write_catalog
from tests.integration.worker_process import (
    ACME,
    REDIS_URL,
    WorkerProcess,
    forget_queue,
    worker_process,
)

STALE_AFTER = "6"  # seconds without a heartbeat before a running job counts as orphaned


def _env(database_url: str, storage: Path, queue: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ACME_")}
    env.update(
        ACME_DATABASE_URL=database_url,
        ACME_BROKER_URL=REDIS_URL,
        ACME_TASK_QUEUE=queue,
        ACME_STORAGE_URL=f"file://{storage}",
        ACME_SECRET_KEY=TEST_SECRET_KEY,
        ACME_IMPORT_STALE_AFTER=STALE_AFTER,
        ACME_IMPORT_MAX_ATTEMPTS="3",
    )
    return env


class Setup:
    def __init__(self, database_url: str, root: Path) -> None:
        self.database_url = database_url
        self.root = root
        self.queue = f"acme-test-{uuid.uuid4().hex[:10]}"
        self.storage = root / "files"
        self.env = _env(database_url, self.storage, self.queue)

    def app(self) -> FastAPI:
        return make_app(
            self.database_url,
            broker_url=REDIS_URL,
            task_queue=self.queue,
            storage_url=f"file://{self.storage}",
            import_stale_after=float(STALE_AFTER),
        )

    def worker(self, name: str) -> WorkerProcess:
        return WorkerProcess(self.env, self.root / f"{name}.log")


@pytest.fixture(scope="module")
def setup(postgres_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Setup]:
    s = Setup(postgres_url, tmp_path_factory.mktemp("celery"))
    yield s
    forget_queue(s.queue)


@pytest.fixture(scope="module")
def worker(setup: Setup) -> Iterator[WorkerProcess]:
    with worker_process(setup.env, setup.root / "worker.log") as w:
        yield w


@pytest.fixture
def client(setup: Setup, worker: WorkerProcess) -> Iterator[TestClient]:
    empty_tables(setup.database_url)
    app = setup.app()
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c
    app.state.container.engine().dispose()


def _product_count(database_url: str) -> int:
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            return int(conn.scalar(select(func.count()).select_from(products)) or 0)
    finally:
        engine.dispose()


def _upload(client: TestClient, path: Path) -> dict[str, Any]:
    with path.open("rb") as f:
        r = client.post("/api/imports", files={"file": (path.name, f, "text/csv")})
    assert r.status_code == 202, r.text
    body: dict[str, Any] = r.json()
    return body


def _wait(client: TestClient, job_id: str, until: set[str], timeout: float = 180) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job: dict[str, Any] = client.get(f"/api/imports/{job_id}").json()
        if job["status"] in until:
            return job
        time.sleep(0.05)
    raise AssertionError(f"import {job_id} never reached {until}: {job}")


def _events(client: TestClient, job_id: str) -> list[tuple[str, dict[str, Any]]]:
    out: list[tuple[str, dict[str, Any]]] = []
    with client.stream("GET", f"/api/imports/{job_id}/events") as r:
        assert r.headers["content-type"].startswith("text/event-stream")
        kind = ""
        for line in r.iter_lines():
            if line.startswith("event: "):
                kind = line.removeprefix("event: ")
            elif line.startswith("data: "):
                out.append((kind, json.loads(line.removeprefix("data: "))))
    return out


def _assert_counts(job: dict[str, Any], expected: Expected) -> None:
    assert job["status"] == "completed", job
    assert job["created"] == expected.unique
    assert job["invalid"] == len(expected.invalid_lines)
    assert job["duplicates_in_file"] == expected.duplicates
    assert job["percent"] == 100.0
    assert job["bytes_done"] == job["bytes_total"]


def test_import_through_the_api_streams_progress_then_completes(
    client: TestClient, setup: Setup, tmp_path: Path
) -> None:
    path = tmp_path / "catalog.csv"
    expected = write_catalog(path, 20_000, invalid_every=997, recased_every=101)
    job = _upload(client, path)
    events = _events(client, job["id"])

    kinds = [k for k, _ in events]
    assert kinds[-1] == "completed"
    assert set(kinds[:-1]) == {"progress"} and kinds[:-1]
    final = events[-1][1]
    _assert_counts(final, expected)
    percents = [e["percent"] for k, e in events if k == "progress"]
    assert percents == sorted(percents)
    assert _product_count(setup.database_url) == expected.unique
    assert client.get(f"/api/imports/{job['id']}").json() == final

    r = client.get(final["errors_url"])
    rows = list(csv.reader(io.StringIO(r.text)))
    assert rows[0] == ["line", "sku", "column", "reason"]
    assert [int(row[0]) for row in rows[1:]] == expected.invalid_lines
    assert {row[2] for row in rows[1:]} == {"name"}
    assert [row[1] for row in rows[1:]] == [f"SKU-{i}" for i in range(997, 20_001, 997)]


def test_cancelling_a_running_import_leaves_the_catalog_as_it_was(
    client: TestClient, setup: Setup, tmp_path: Path
) -> None:
    path = tmp_path / "big.csv"
    write_catalog(path, 200_000)
    job = _upload(client, path)
    _wait(client, job["id"], {"running", "completed", "failed"})
    r = client.post(f"/api/imports/{job['id']}/cancel")
    assert r.status_code == 200, r.text
    final = _wait(client, job["id"], {"cancelled", "completed", "failed"})
    assert final["status"] == "cancelled", final
    assert _product_count(setup.database_url) == 0
    events = _events(client, job["id"])
    assert [k for k, _ in events] == ["cancelled"]


def test_a_failed_import_can_be_retried_once_its_file_is_fixed(
    client: TestClient, setup: Setup, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.csv"
    broken.write_bytes(b'sku,name\nA-1,"never closed\nA-2,Table\n')
    job = _upload(client, broken)
    failed = _wait(client, job["id"], {"completed", "failed"})
    assert failed["status"] == "failed"
    assert failed["error"] == "Line 2: a quoted field is never closed"
    assert _product_count(setup.database_url) == 0

    fixed = tmp_path / "fixed.csv"
    expected = write_catalog(fixed, 500, invalid_every=100)
    (setup.storage / "imports" / job["id"]).write_bytes(fixed.read_bytes())
    r = client.post(f"/api/imports/{job['id']}/retry")
    assert r.status_code == 202, r.text
    assert (r.json()["status"], r.json()["error"]) == ("queued", None)
    done = _wait(client, job["id"], {"completed", "failed"})
    _assert_counts(done, expected)
    assert _product_count(setup.database_url) == expected.unique


def test_a_worker_killed_mid_import_is_recovered_by_the_next_worker(tmp_path: Path) -> None:
    """SIGKILL the worker while it imports; a new worker notices the stale heartbeat,
    re-queues the job and completes it with exactly the counts of a clean import."""
    # its own database and queue, so the module's worker neither takes nor recovers the job
    with postgres_database("acme_kill") as database_url:
        _kill_and_recover(Setup(database_url, tmp_path), tmp_path)


def _kill_and_recover(own: Setup, tmp_path: Path) -> None:
    path = tmp_path / "large.csv"
    expected = write_catalog(path, 150_000, invalid_every=5_000, recased_every=50)
    app = own.app()
    first = own.worker("first")
    try:
        with TestClient(app, raise_server_exceptions=False) as client:
            first.wait_ready()
            job = _upload(client, path)
            running = _wait(client, job["id"], {"running", "completed", "failed"})
            assert running["status"] == "running", running
            first.kill()
            assert first.proc.returncode == -9

            with worker_process(own.env, tmp_path / "second.log") as second:
                done = _wait(client, job["id"], {"completed", "failed"})
                _assert_counts(done, expected)
                assert _product_count(own.database_url) == expected.unique
                assert "re-queued" in second.log()
            with app.state.container.uow() as uow:
                stored = uow.imports.get(job["id"])
            assert stored is not None and stored.attempts == 2
    finally:
        first.stop()
        app.state.container.engine().dispose()
        forget_queue(own.queue)


def test_an_unreachable_broker_fails_the_job_with_a_message_instead_of_losing_it(
    postgres_url: str, tmp_path: Path
) -> None:
    empty_tables(postgres_url)
    app = make_app(
        postgres_url,
        broker_url="redis://127.0.0.1:1/1",  # nothing listens on port 1
        task_queue=f"acme-test-{uuid.uuid4().hex[:10]}",
        storage_url=f"file://{tmp_path}",
    )
    try:
        with TestClient(app, raise_server_exceptions=False) as client:
            r = client.post("/api/imports", files={"file": ("a.csv", b"sku,name\nA,B\n")})
            assert r.status_code == 202, r.text
            job = client.get(f"/api/imports/{r.json()['id']}").json()
    finally:
        app.state.container.engine().dispose()
    assert job["status"] == "failed"
    assert "check that the broker is running, then retry" in job["error"]


def test_cli_import_through_the_worker_exits_0_then_1_for_a_broken_file(
    setup: Setup, worker: WorkerProcess, tmp_path: Path
) -> None:
    empty_tables(setup.database_url)
    path = tmp_path / "cli.csv"
    expected = write_catalog(path, 3_000, invalid_every=1_000)
    ok = subprocess.run(
        [ACME, "import", str(path)], env=setup.env, capture_output=True, text=True, timeout=300
    )
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "completed: cli.csv" in ok.stdout
    assert f"created {expected.unique:,}" in ok.stdout
    assert _product_count(setup.database_url) == expected.unique

    broken = tmp_path / "broken.csv"
    broken.write_bytes(b"name,description\nChair,oak\n")  # no sku column
    bad = subprocess.run(
        [ACME, "import", str(broken)], env=setup.env, capture_output=True, text=True, timeout=300
    )
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert "failed: broken.csv" in bad.stdout
    assert "sku" in bad.stdout
    assert "Traceback" not in bad.stdout + bad.stderr
