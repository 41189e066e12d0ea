"""FastAPI dependencies that hand routes what the container built for this app.

The container lives on ``app.state``; routes never reach a module-level global, so two apps
(two tests, two configurations) in one process never share adapters.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import Engine

from acme.application.ports import Clock, DependencyCheck, FileStorage, TaskQueue, UnitOfWork
from acme.entrypoints.container import Container


def container(request: Request) -> Container:
    c: Container = request.app.state.container
    return c


TheContainer = Annotated[Container, Depends(container)]


def _uow_factory(c: TheContainer) -> Callable[[], UnitOfWork]:
    factory: Callable[[], UnitOfWork] = c.uow
    return factory


def _clock(c: TheContainer) -> Clock:
    clock: Clock = c.clock()
    return clock


def _engine(c: TheContainer) -> Engine:
    engine: Engine = c.engine()
    return engine


def _dependency_checks(c: TheContainer) -> list[DependencyCheck]:
    checks: list[DependencyCheck] = c.dependency_checks()
    return checks


Uow = Annotated[Callable[[], UnitOfWork], Depends(_uow_factory)]
TheClock = Annotated[Clock, Depends(_clock)]
TheEngine = Annotated[Engine, Depends(_engine)]


def _storage(c: TheContainer) -> FileStorage:
    storage: FileStorage = c.storage()
    return storage


def _task_queue(c: TheContainer) -> TaskQueue:
    queue: TaskQueue = c.task_queue()
    return queue


TheStorage = Annotated[FileStorage, Depends(_storage)]
TheTaskQueue = Annotated[TaskQueue, Depends(_task_queue)]
DependencyChecks = Annotated[list[DependencyCheck], Depends(_dependency_checks)]
