"""Build the real app (or container) on a given database, for tests."""

from __future__ import annotations

from typing import Any

from dependency_injector import providers
from fastapi import FastAPI

from acme.entrypoints.api.app import create_app
from acme.entrypoints.container import Container
from acme.entrypoints.settings import Settings


def make_container(database_url: str, **settings: Any) -> Container:
    container = Container()
    container.settings.override(
        providers.Singleton(Settings, database_url=database_url, **settings)
    )
    return container


def make_app(database_url: str, **settings: Any) -> FastAPI:
    return create_app(make_container(database_url, **settings))
