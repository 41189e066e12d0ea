from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from acme.adapters.sqlalchemy.engine import build_engine
from acme.adapters.sqlalchemy.tables import outbox_events
from acme.adapters.sqlalchemy.uow import SqlUnitOfWork
from tests.databases import empty_tables, postgres_database, sqlite_database

pytestmark = pytest.mark.integration


@pytest.fixture(autouse=True)
def _secret_key_file_in_tmp(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Processes started without ACME_SECRET_KEY (CLI runs, subprocesses) keep their key
    file in a temporary folder of the test's own, never in the working directory."""
    monkeypatch.setenv("ACME_SECRET_KEY_FILE", str(tmp_path_factory.mktemp("keys") / "key"))


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    with postgres_database() as url:
        yield url


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with sqlite_database(tmp_path_factory.mktemp("sqlite")) as url:
        yield url


@pytest.fixture(params=["postgres", "sqlite"])
def database_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """Each test using this runs once per supported database, on empty tables."""
    url: str = request.getfixturevalue(f"{request.param}_url")
    empty_tables(url)
    yield url
    empty_tables(url)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = build_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def uow_factory(engine: Engine) -> Callable[[], SqlUnitOfWork]:
    return lambda: SqlUnitOfWork(engine)


@pytest.fixture
def published(engine: Engine) -> Callable[[], list[str]]:
    def read() -> list[str]:
        with engine.connect() as conn:
            return list(conn.scalars(select(outbox_events.c.type).order_by(outbox_events.c.id)))

    return read


@pytest.fixture
def tmp_dir(tmp_path: Path) -> Path:
    return tmp_path
