"""The shared run_import suite on the real adapters: SQLite and PostgreSQL, local storage."""

from __future__ import annotations

from pathlib import Path

import pytest

from acme.adapters.storage.local import LocalFileStorage
from tests.suites.csv_import import *  # noqa: F403


@pytest.fixture
def storage(tmp_path: Path) -> LocalFileStorage:
    return LocalFileStorage(tmp_path / "uploads")
