"""Build the real app (or container) on a given database, for tests."""

from __future__ import annotations

from typing import Any

from dependency_injector import providers
from fastapi import FastAPI

from acme.entrypoints.api.app import create_app
from acme.entrypoints.container import Container
from acme.entrypoints.settings import Settings

#: The key webhook secrets are encrypted under in tests; processes a test starts must share it.
TEST_SECRET_KEY = "test-secret-key-not-for-production"


def make_container(database_url: str, **settings: Any) -> Container:
    """A container on ``database_url``; webhook secrets under TEST_SECRET_KEY unless the
    settings name a key (so no key file is written into the working directory)."""
    settings.setdefault("secret_key", TEST_SECRET_KEY)
    container = Container()
    container.settings.override(
        providers.Singleton(Settings, database_url=database_url, **settings)
    )
    return container


def make_app(database_url: str, **settings: Any) -> FastAPI:
    return create_app(make_container(database_url, **settings))
