"""The shared import orchestration suite, on in-memory fakes."""

from __future__ import annotations

import pytest

from tests.fakes import FakeTaskQueue
from tests.suites.import_job_usecases import *  # noqa: F403


@pytest.fixture
def queue() -> FakeTaskQueue:
    return FakeTaskQueue()
