"""The shared upload use-case suite, on the real SQL adapters (PostgreSQL and SQLite) and
local file storage."""

from __future__ import annotations

from pathlib import Path

import pytest

from acme.adapters.storage.local import LocalFileStorage
from tests.suites.upload_usecases import *  # noqa: F403


@pytest.fixture
def storage(tmp_path: Path) -> LocalFileStorage:
    return LocalFileStorage(tmp_path / "uploads")
