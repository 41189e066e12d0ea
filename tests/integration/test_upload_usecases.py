"""The shared upload use-case suite, on the real SQL adapters (PostgreSQL and SQLite) and
local file storage."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

import pytest

from acme.adapters.storage.local import LocalFileStorage
from acme.application import uploads as uc
from acme.application.ports import UnitOfWork
from tests.fakes import FakeClock, FakeTaskQueue
from tests.suites.upload_usecases import *  # noqa: F403
from tests.suites.upload_usecases import LIMITS


@pytest.fixture
def storage(tmp_path: Path) -> LocalFileStorage:
    return LocalFileStorage(tmp_path / "uploads")


class _MeetingStorage(LocalFileStorage):
    """Holds every open() until two callers are there: two requests that both found the
    upload without a job reach the point of creating one together."""

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.meeting = threading.Barrier(2, timeout=10)

    def open(self, key: str) -> BinaryIO:
        self.meeting.wait()
        return super().open(key)


def test_two_simultaneous_requests_to_import_an_upload_make_one_job(
    uow_factory: Callable[[], UnitOfWork], tmp_path: Path
) -> None:
    storage = _MeetingStorage(tmp_path / "uploads")
    queue = FakeTaskQueue()
    data = b"sku,name\nA-1,Chair\n"
    up = uc.create_upload(uow_factory, storage, FakeClock(), LIMITS, "cat.csv", len(data))
    uc.append_to_upload(uow_factory, storage, FakeClock(), LIMITS, up.id, 0, data)
    jobs: list[str] = []

    def request() -> None:
        jobs.append(uc.import_upload(uow_factory, storage, queue, FakeClock(), up.id).id)

    threads = [threading.Thread(target=request) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert len(jobs) == 2 and jobs[0] == jobs[1]
    assert queue.enqueued == [jobs[0]]
    with uow_factory() as uow:
        stored = [j.id for j in uow.imports.list_recent(10)]
        upload = uow.uploads.get(up.id)
    assert stored == [jobs[0]]
    assert upload is not None and upload.import_job_id == jobs[0]
