"""The shared ImportJobRepository suite, on the in-memory fake."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.fakes import FakeStore, FakeUnitOfWork
from tests.suites.import_job_repository import *  # noqa: F403


@pytest.fixture
def uow_factory() -> Callable[[], FakeUnitOfWork]:
    store = FakeStore()
    return lambda: FakeUnitOfWork(store)
