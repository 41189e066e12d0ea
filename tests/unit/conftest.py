"""Fixtures every unit test module shares: one in-memory store per test, units of work over
it, an in-memory file storage, and the event types committed so far."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.fakes import FakeFileStorage, FakeStore, FakeUnitOfWork


@pytest.fixture
def store() -> FakeStore:
    return FakeStore()


@pytest.fixture
def uow_factory(store: FakeStore) -> Callable[[], FakeUnitOfWork]:
    return lambda: FakeUnitOfWork(store)


@pytest.fixture
def storage() -> FakeFileStorage:
    return FakeFileStorage()


@pytest.fixture
def published(store: FakeStore) -> Callable[[], list[str]]:
    return lambda: [e.type for e in store.events]
