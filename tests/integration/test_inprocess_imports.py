"""The embedded path: no broker, SQLite, imports run by the in-process worker (API and CLI),
and the ``acme import`` / ``acme worker`` exit codes and messages."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from acme.entrypoints.cli import app as cli
from tests.apps import make_app
from tests.databases import sqlite_database
from tests.integration.csv_files import write_catalog


@pytest.fixture
def env(tmp_path: Path) -> Iterator[dict[str, str]]:
    with sqlite_database(tmp_path) as url:
        yield {
            "ACME_DATABASE_URL": url,
            "ACME_BROKER_URL": "",
            "ACME_STORAGE_URL": f"file://{tmp_path / 'files'}",
        }


def _client_app(env: dict[str, str]) -> Any:
    return make_app(env["ACME_DATABASE_URL"], storage_url=env["ACME_STORAGE_URL"], broker_url="")


def _invoke(env: dict[str, str], *args: str) -> Any:
    return CliRunner().invoke(cli, list(args), env=env)


def _jobs(env: dict[str, str]) -> list[dict[str, Any]]:
    app = _client_app(env)
    with TestClient(app) as client:
        jobs: list[dict[str, Any]] = client.get("/api/imports").json()
    app.state.container.engine().dispose()
    return jobs


def test_api_import_runs_in_process_and_streams_to_completed(
    env: dict[str, str], tmp_path: Path
) -> None:
    path = tmp_path / "catalog.csv"
    expected = write_catalog(path, 3_000, invalid_every=250, recased_every=40)
    app = _client_app(env)
    with TestClient(app) as client:
        r = client.post("/api/imports", files={"file": ("catalog.csv", path.read_bytes())})
        assert r.status_code == 202
        job_id = r.json()["id"]
        kinds: list[str] = []
        final: dict[str, Any] = {}
        with client.stream("GET", f"/api/imports/{job_id}/events") as s:
            for line in s.iter_lines():
                if line.startswith("event: "):
                    kinds.append(line.removeprefix("event: "))
                elif line.startswith("data: "):
                    final = json.loads(line.removeprefix("data: "))
        products = client.get("/api/products?page_size=1&count=exact").json()["total"]
    app.state.container.engine().dispose()
    assert kinds[-1] == "completed" and set(kinds[:-1]) <= {"progress"}
    assert (final["created"], final["invalid"], final["duplicates_in_file"]) == (
        expected.unique,
        len(expected.invalid_lines),
        expected.duplicates,
    )
    assert products == expected.unique


def test_cli_import_waits_shows_the_summary_and_exits_0(
    env: dict[str, str], tmp_path: Path
) -> None:
    path = tmp_path / "catalog.csv"
    expected = write_catalog(path, 2_000, invalid_every=500)
    result = _invoke(env, "import", str(path))
    assert result.exit_code == 0, result.output
    assert "completed: catalog.csv" in result.output
    assert f"created {expected.unique:,}" in result.output
    assert f"invalid {len(expected.invalid_lines)}" in result.output
    [job] = _jobs(env)
    assert (job["status"], job["created"]) == ("completed", expected.unique)


def test_cli_import_of_a_broken_csv_exits_1_with_the_reason(
    env: dict[str, str], tmp_path: Path
) -> None:
    path = tmp_path / "broken.csv"
    path.write_bytes(b'sku,name\nA-1,"never closed\nA-2,Table\n')
    result = _invoke(env, "import", str(path))
    assert result.exit_code == 1, result.output
    assert "failed: broken.csv" in result.output
    [job] = _jobs(env)
    assert job["status"] == "failed"
    assert job["error"] in result.output


def test_cli_no_wait_leaves_the_job_queued_for_the_server_which_runs_it_at_start(
    env: dict[str, str], tmp_path: Path
) -> None:
    path = tmp_path / "later.csv"
    expected = write_catalog(path, 300)
    result = _invoke(env, "import", str(path), "--no-wait")
    assert result.exit_code == 0, result.output
    assert "queued" in result.output
    [job] = _jobs(env)
    assert job["status"] == "queued"

    # the next server start (in-process worker, recovery loop) picks the job up
    app = _client_app(env)
    with TestClient(app) as client:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            got = client.get(f"/api/imports/{job['id']}").json()
            if got["status"] not in ("queued", "running"):
                break
            time.sleep(0.2)
    app.state.container.engine().dispose()
    assert (got["status"], got["created"]) == ("completed", expected.unique)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["import", "/definitely/not/here.csv"],
            "error: file '/definitely/not/here.csv' not found",
        ),
        (["import", "{tmp}"], "is not a file"),
        (["import", "{tmp}/empty.csv"], "'empty.csv' is empty"),
        (["import", "{tmp}/picture.png"], "'picture.png' is not a CSV file"),
        (["worker"], "error: ACME_BROKER_URL is empty"),
    ],
)
def test_bad_usage_exits_2_with_one_readable_line(
    env: dict[str, str], tmp_path: Path, args: list[str], message: str
) -> None:
    (tmp_path / "empty.csv").write_bytes(b"")
    (tmp_path / "picture.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    result = _invoke(env, *[a.replace("{tmp}", str(tmp_path)) for a in args])
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1
    assert message in lines[0]
    assert "Traceback" not in result.output
    assert _jobs(env) == []
