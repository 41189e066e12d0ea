"""The shared upload use-case suite, on in-memory fakes."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.fakes import FakeFileStorage, FakeStore, FakeUnitOfWork
from tests.suites.upload_usecases import *  # noqa: F403


@pytest.fixture
def store() -> FakeStore:
    return FakeStore()


@pytest.fixture
def uow_factory(store: FakeStore) -> Callable[[], FakeUnitOfWork]:
    return lambda: FakeUnitOfWork(store)


@pytest.fixture
def storage() -> FakeFileStorage:
    return FakeFileStorage()
