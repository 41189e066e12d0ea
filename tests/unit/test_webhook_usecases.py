"""The shared webhook use-case suite, on in-memory fakes."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.fakes import FakeStore, FakeUnitOfWork
from tests.suites.webhook_usecases import *  # noqa: F403


@pytest.fixture
def store() -> FakeStore:
    return FakeStore()


@pytest.fixture
def uow_factory(store: FakeStore) -> Callable[[], FakeUnitOfWork]:
    return lambda: FakeUnitOfWork(store)
