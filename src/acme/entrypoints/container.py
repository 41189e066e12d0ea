"""The composition root: settings in, adapters chosen from settings, use cases wired to ports.

Nothing here is built at import time; ``Container()`` builds lazily, on first use.
"""

from __future__ import annotations

from dependency_injector import containers, providers

from acme.adapters.clock import SystemClock
from acme.adapters.sqlalchemy.engine import build_engine
from acme.adapters.sqlalchemy.uow import SqlUnitOfWork
from acme.entrypoints.settings import Settings


class Container(containers.DeclarativeContainer):
    settings = providers.Singleton(Settings)

    engine = providers.Singleton(build_engine, url=settings.provided.database_url)
    clock = providers.Singleton(SystemClock)

    uow = providers.Factory(SqlUnitOfWork, engine=engine)
