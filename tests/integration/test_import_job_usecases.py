"""The shared import orchestration suite, on PostgreSQL and SQLite with local file storage."""

from __future__ import annotations

from pathlib import Path

import pytest

from acme.adapters.storage.local import LocalFileStorage
from tests.fakes import FakeTaskQueue
from tests.suites.import_job_usecases import *  # noqa: F403


@pytest.fixture
def storage(tmp_path: Path) -> LocalFileStorage:
    return LocalFileStorage(tmp_path / "files")


@pytest.fixture
def queue() -> FakeTaskQueue:
    return FakeTaskQueue()
