"""The shared import orchestration suite, on in-memory fakes."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.fakes import FakeFileStorage, FakeStore, FakeTaskQueue, FakeUnitOfWork
from tests.suites.import_job_usecases import *  # noqa: F403


@pytest.fixture
def uow_factory() -> Callable[[], FakeUnitOfWork]:
    store = FakeStore()
    return lambda: FakeUnitOfWork(store)


@pytest.fixture
def storage() -> FakeFileStorage:
    return FakeFileStorage()


@pytest.fixture
def queue() -> FakeTaskQueue:
    return FakeTaskQueue()
