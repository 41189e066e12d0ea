"""`acme webhooks ...` as a user runs it: list/add/test/remove, and `dispatch` as a standalone
long-running process that delivers what the app committed."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator

import pytest
import standardwebhooks
from typer.testing import CliRunner

from acme.application import products as pc
from acme.entrypoints.cli import app
from tests.apps import make_container
from tests.receivers import Receiver, wait_until


@pytest.fixture
def env(database_url: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    values = {
        "ACME_DATABASE_URL": database_url,
        "ACME_WEBHOOK_ALLOW_PRIVATE": "true",
        "ACME_WEBHOOK_POLL_SECONDS": "0.1",
    }
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    return values


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver().start()
    yield r
    r.stop()


def test_add_list_test_remove(env: dict[str, str], receiver: Receiver) -> None:
    runner = CliRunner()
    r = runner.invoke(app, ["webhooks", "add", receiver.url, "-e", "product.created"])
    assert r.exit_code == 0, r.output
    secret = r.output.split("secret (shown only now): ")[1].strip()
    hook_id = r.output.split()[1]  # "webhook N created for URL"
    assert secret.startswith("whsec_")
    r = runner.invoke(app, ["webhooks", "test", hook_id])
    assert r.exit_code == 0 and r.output.startswith("ok: HTTP 200 in "), r.output
    standardwebhooks.Webhook(secret).verify(receiver.received[0].body, receiver.received[0].headers)
    r = runner.invoke(app, ["webhooks", "list"])
    assert receiver.url in r.output and "product.created" in r.output
    assert "last: webhook.test succeeded HTTP 200" in r.output
    r = runner.invoke(app, ["webhooks", "add", "ftp://x", "-e", "product.created"])
    assert r.exit_code == 2 and "http:// or https://" in r.output
    assert runner.invoke(app, ["webhooks", "remove", hook_id]).exit_code == 0
    r = runner.invoke(app, ["webhooks", "remove", hook_id])
    assert r.exit_code == 1 and f"webhook {hook_id} not found" in r.output
    assert runner.invoke(app, ["webhooks", "list"]).output.strip() == "no webhooks"


def test_dispatch_command_delivers_what_the_app_committed(
    env: dict[str, str], database_url: str, receiver: Receiver
) -> None:
    runner = CliRunner()
    assert (
        runner.invoke(app, ["webhooks", "add", receiver.url, "-e", "product.created"]).exit_code
        == 0
    )
    c = make_container(database_url)
    pc.create_product(c.uow, c.clock(), pc.NewProduct("CLI-1", "n"))  # no dispatcher yet
    proc = subprocess.Popen(
        [sys.executable, "-m", "acme.entrypoints.cli", "webhooks", "dispatch"],
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_until(lambda: receiver.skus() == ["CLI-1"], what="the queued event")
        pc.create_product(c.uow, c.clock(), pc.NewProduct("CLI-2", "n"))
        wait_until(lambda: receiver.skus() == ["CLI-1", "CLI-2"], what="a new event")
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=30)
        c.engine().dispose()
    assert proc.returncode == 0
    assert b"webhook dispatcher stopped" in out
