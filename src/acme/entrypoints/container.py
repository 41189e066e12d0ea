"""The composition root: settings in, adapters chosen from settings, use cases wired to ports.

Nothing here is built at import time; ``Container()`` builds lazily, on first use.
"""

from __future__ import annotations

from dependency_injector import containers, providers
from sqlalchemy import Engine

from acme.adapters.clock import SystemClock
from acme.adapters.sqlalchemy.engine import build_engine
from acme.adapters.sqlalchemy.uow import SqlUnitOfWork
from acme.application.ports import DependencyCheck, FileStorage
from acme.entrypoints.settings import Settings


def build_storage(url: str) -> FileStorage:
    """The FileStorage adapter that ``ACME_STORAGE_URL`` names."""
    if url.startswith("file://"):
        from acme.adapters.storage.local import LocalFileStorage, local_root_from_url

        return LocalFileStorage(local_root_from_url(url))
    raise ValueError(f"unsupported ACME_STORAGE_URL {url!r}: expected file://")


def build_dependency_checks(engine: Engine, broker_url: str) -> list[DependencyCheck]:
    """What /readyz checks: the database, and the broker when one is configured."""
    from acme.adapters.broker import BrokerCheck
    from acme.adapters.sqlalchemy.health import DatabaseCheck

    checks: list[DependencyCheck] = [DatabaseCheck(engine)]
    if broker_url:
        checks.append(BrokerCheck(broker_url))
    return checks


class Container(containers.DeclarativeContainer):
    settings = providers.Singleton(Settings)

    engine = providers.Singleton(build_engine, url=settings.provided.database_url)
    clock = providers.Singleton(SystemClock)
    storage = providers.Singleton(build_storage, url=settings.provided.storage_url)

    uow = providers.Factory(SqlUnitOfWork, engine=engine)
    dependency_checks = providers.Singleton(
        build_dependency_checks, engine=engine, broker_url=settings.provided.broker_url
    )
