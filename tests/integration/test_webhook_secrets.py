"""Webhook signing secrets at rest: encrypted in the database (PostgreSQL and SQLite), read
back for signing, and (re-)encrypted by `acme db upgrade` when stored before encryption or
under an older key; a key that opens nothing stops the upgrade with one readable line."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, insert, select
from typer.testing import CliRunner

from acme.adapters.secret_box import PREFIX, SecretBox, key_from_file
from acme.adapters.sqlalchemy.tables import webhooks
from acme.application import webhooks as uc
from acme.entrypoints.cli import app
from tests.apps import make_app, make_container
from tests.fakes import FakeClock


@pytest.fixture
def env(database_url: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    values = {"ACME_DATABASE_URL": database_url, "ACME_SECRET_KEY": "new key,old key"}
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    return values


def stored(engine: Engine) -> dict[str, str]:
    with engine.connect() as conn:
        return {r.url: r.secret for r in conn.execute(select(webhooks.c.url, webhooks.c.secret))}


def insert_raw(engine: Engine, url: str, secret: str) -> None:
    with engine.begin() as conn:
        conn.execute(
            insert(webhooks).values(
                url=url,
                events=["product.created"],
                secret=secret,
                enabled=True,
                created_at=FakeClock().now(),
            )
        )


def test_secrets_are_stored_encrypted_and_read_back_for_signing(
    database_url: str, engine: Engine
) -> None:
    container = make_container(database_url, secret_key="the key")
    try:
        created = uc.create_webhook(
            container.uow,
            container.clock(),
            container.address_guard(),
            uc.NewWebhook("https://hooks.example.com/a", ["product.created"], True),
        )
        with container.uow() as uow:
            read = uow.webhooks.get(created.id or 0)
    finally:
        container.engine().dispose()
    raw = stored(engine)["https://hooks.example.com/a"]
    assert raw.startswith(PREFIX) and created.secret not in raw
    assert SecretBox(["the key"]).open(raw) == created.secret
    assert read is not None and read.secret == created.secret  # what the sender signs with


def test_db_upgrade_encrypts_old_secrets_and_rotates_keys(
    env: dict[str, str], engine: Engine
) -> None:
    insert_raw(engine, "https://plain.example.com/", "whsec_cGxhaW4=")
    insert_raw(engine, "https://old.example.com/", SecretBox(["old key"]).seal("whsec_b2xk"))
    insert_raw(engine, "https://new.example.com/", SecretBox(["new key"]).seal("whsec_bmV3"))
    before = stored(engine)
    result = CliRunner().invoke(app, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert "2 webhook secret(s) encrypted under the current ACME_SECRET_KEY" in result.output
    after = stored(engine)
    new_only = SecretBox(["new key"])
    assert {url: new_only.open(v) for url, v in after.items()} == {
        "https://plain.example.com/": "whsec_cGxhaW4=",
        "https://old.example.com/": "whsec_b2xk",
        "https://new.example.com/": "whsec_bmV3",
    }
    assert after["https://new.example.com/"] == before["https://new.example.com/"]  # untouched
    again = CliRunner().invoke(app, ["db", "upgrade"])
    assert again.exit_code == 0 and "encrypted" not in again.output


def test_db_upgrade_with_a_key_that_opens_nothing_stops_with_one_line(
    env: dict[str, str], engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    sealed = SecretBox(["lost key"]).seal("whsec_eA==")
    insert_raw(engine, "https://lost.example.com/", sealed)
    result = CliRunner().invoke(app, ["db", "upgrade"])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert lines[-1].startswith("error: a stored webhook secret cannot be decrypted")
    assert "Traceback" not in result.output
    assert stored(engine)["https://lost.example.com/"] == sealed  # nothing lost or changed


def test_without_a_setting_the_key_file_is_created_private_and_reused(tmp_path: Path) -> None:
    path = tmp_path / "var" / "secret.key"
    sealed = SecretBox.from_settings("", path).seal("whsec_x")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    key = key_from_file(path)
    assert len(key) >= 40
    assert SecretBox.from_settings("", path).open(sealed) == "whsec_x"  # the same key again
    assert SecretBox([key]).open(sealed) == "whsec_x"


def test_the_api_names_a_key_mismatch_instead_of_a_bare_500(database_url: str) -> None:
    with TestClient(make_app(database_url, secret_key="key at creation")) as client:
        created = client.post(
            "/api/webhooks",
            json={"url": "https://hooks.example.com/k", "events": ["product.created"]},
        )
        assert created.status_code == 201, created.text
    with TestClient(make_app(database_url, secret_key="another key")) as client:
        listed = client.get("/api/webhooks")
    assert listed.status_code == 503
    assert "cannot be decrypted with ACME_SECRET_KEY" in listed.json()["detail"]
