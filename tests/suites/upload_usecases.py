"""Resumable-upload use-case tests, run against the fakes (tests/unit) and the real SQL
adapters with local file storage on SQLite and PostgreSQL (tests/integration). Each test takes
``uow_factory`` (a fresh UnitOfWork on empty tables) and ``storage`` (an empty FileStorage)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from acme.application import uploads as uc
from acme.application.ports import FileStorage, UnitOfWork
from acme.domain.errors import (
    ConflictError,
    InvalidStateError,
    NotFoundError,
    TooLargeError,
    ValidationError,
)
from acme.domain.import_job import ImportStatus
from tests.fakes import FakeClock, FakeTaskQueue

UowFactory = Callable[[], UnitOfWork]
LIMITS = uc.UploadLimits(max_size=1000, max_part=100)


def _read(storage: FileStorage, key: str) -> bytes:
    with storage.open(key) as f:
        return f.read()


def test_an_upload_grows_part_by_part_to_its_length(
    uow_factory: UowFactory, storage: FileStorage
) -> None:
    up = uc.create_upload(uow_factory, storage, FakeClock(), LIMITS, "cat.csv", 150)
    assert up.offset == 0
    assert (
        uc.append_to_upload(uow_factory, storage, FakeClock(), LIMITS, up.id, 0, b"a" * 100).offset
        == 100
    )
    done = uc.append_to_upload(uow_factory, storage, FakeClock(), LIMITS, up.id, 100, b"b" * 50)
    stored = uc.get_upload(uow_factory, storage, up.id)
    assert (done.offset, stored.offset, stored.complete) == (150, 150, True)
    assert stored.filename == "cat.csv"
    assert _read(storage, up.storage_key) == b"a" * 100 + b"b" * 50


def test_a_part_at_the_wrong_offset_is_refused_and_changes_nothing(
    uow_factory: UowFactory, storage: FileStorage
) -> None:
    up = uc.create_upload(uow_factory, storage, FakeClock(), LIMITS, "f.csv", 100)
    uc.append_to_upload(uow_factory, storage, FakeClock(), LIMITS, up.id, 0, b"x" * 10)
    for wrong in (0, 5, 20):
        with pytest.raises(ConflictError, match="does not match"):
            uc.append_to_upload(uow_factory, storage, FakeClock(), LIMITS, up.id, wrong, b"y" * 10)
    assert uc.get_upload(uow_factory, storage, up.id).offset == 10
    assert _read(storage, up.storage_key) == b"x" * 10


def test_too_large_files_and_parts_are_refused(
    uow_factory: UowFactory, storage: FileStorage
) -> None:
    with pytest.raises(TooLargeError, match="largest accepted is 1,000 bytes"):
        uc.create_upload(uow_factory, storage, FakeClock(), LIMITS, "big.csv", 1001)
    up = uc.create_upload(uow_factory, storage, FakeClock(), LIMITS, "f.csv", 120)
    with pytest.raises(TooLargeError):
        uc.append_to_upload(uow_factory, storage, FakeClock(), LIMITS, up.id, 0, b"z" * 101)
    uc.append_to_upload(uow_factory, storage, FakeClock(), LIMITS, up.id, 0, b"z" * 100)
    with pytest.raises(TooLargeError, match="past its declared length"):
        uc.append_to_upload(uow_factory, storage, FakeClock(), LIMITS, up.id, 100, b"z" * 21)
    assert uc.get_upload(uow_factory, storage, up.id).offset == 100


def test_the_offset_follows_the_bytes_really_stored_after_a_request_died(
    uow_factory: UowFactory, storage: FileStorage
) -> None:
    """A part that reached storage but whose request died before the offset was recorded."""
    up = uc.create_upload(uow_factory, storage, FakeClock(), LIMITS, "f.csv", 60)
    uc.append_to_upload(uow_factory, storage, FakeClock(), LIMITS, up.id, 0, b"1" * 20)
    storage.append(up.storage_key, 20, b"2" * 20)  # stored, offset not yet recorded
    assert uc.get_upload(uow_factory, storage, up.id).offset == 40
    uc.append_to_upload(uow_factory, storage, FakeClock(), LIMITS, up.id, 40, b"3" * 20)
    assert _read(storage, up.storage_key) == b"1" * 20 + b"2" * 20 + b"3" * 20


def test_terminating_an_upload_removes_its_state_and_bytes(
    uow_factory: UowFactory, storage: FileStorage
) -> None:
    up = uc.create_upload(uow_factory, storage, FakeClock(), LIMITS, "f.csv", 50)
    uc.append_to_upload(uow_factory, storage, FakeClock(), LIMITS, up.id, 0, b"q" * 10)
    uc.terminate_upload(uow_factory, storage, up.id)
    assert storage.size(up.storage_key) is None
    with pytest.raises(NotFoundError):
        uc.get_upload(uow_factory, storage, up.id)
    with pytest.raises(NotFoundError):
        uc.append_to_upload(uow_factory, storage, FakeClock(), LIMITS, up.id, 10, b"q")


def test_an_empty_file_is_complete_at_once(uow_factory: UowFactory, storage: FileStorage) -> None:
    up = uc.create_upload(uow_factory, storage, FakeClock(), LIMITS, "", 0)
    stored = uc.get_upload(uow_factory, storage, up.id)
    assert stored.complete
    assert stored.filename == "upload.csv"
    assert storage.size(up.storage_key) == 0


def _complete(uow_factory: UowFactory, storage: FileStorage, name: str, data: bytes) -> str:
    up = uc.create_upload(uow_factory, storage, FakeClock(), LIMITS, name, len(data))
    uc.append_to_upload(uow_factory, storage, FakeClock(), LIMITS, up.id, 0, data)
    return up.id


def test_a_complete_upload_is_imported_once_from_where_it_is_stored(
    uow_factory: UowFactory, storage: FileStorage
) -> None:
    queue = FakeTaskQueue()
    data = b"sku,name\nA-1,Chair\n"
    upload_id = _complete(uow_factory, storage, "cat.csv", data)
    job = uc.import_upload(uow_factory, storage, queue, FakeClock(), upload_id)
    assert (job.status, job.filename, job.bytes_total) == (
        ImportStatus.QUEUED,
        "cat.csv",
        len(data),
    )
    assert job.storage_key == f"uploads/{upload_id}"
    assert queue.enqueued == [job.id]
    again = uc.import_upload(uow_factory, storage, queue, FakeClock(), upload_id)
    assert again.id == job.id
    assert queue.enqueued == [job.id]
    with uow_factory() as uow:
        stored = uow.imports.get(job.id)
        upload = uow.uploads.get(upload_id)
    assert stored is not None and stored.storage_key == f"uploads/{upload_id}"
    assert upload is not None and upload.import_job_id == job.id
    with pytest.raises(ConflictError, match="imported"):
        uc.terminate_upload(uow_factory, storage, upload_id)


def test_an_incomplete_or_non_csv_upload_is_not_imported(
    uow_factory: UowFactory, storage: FileStorage
) -> None:
    queue = FakeTaskQueue()
    up = uc.create_upload(uow_factory, storage, FakeClock(), LIMITS, "cat.csv", 50)
    uc.append_to_upload(uow_factory, storage, FakeClock(), LIMITS, up.id, 0, b"sku,name\n")
    with pytest.raises(InvalidStateError, match="9 of 50 bytes"):
        uc.import_upload(uow_factory, storage, queue, FakeClock(), up.id)
    png = _complete(uow_factory, storage, "photo.png", b"\x89PNG....")
    with pytest.raises(ValidationError, match="not a CSV file"):
        uc.import_upload(uow_factory, storage, queue, FakeClock(), png)
    with pytest.raises(NotFoundError):
        uc.import_upload(uow_factory, storage, queue, FakeClock(), "missing")
    assert queue.enqueued == []


def test_uploads_no_import_claimed_are_deleted_once_they_expire(
    uow_factory: UowFactory, storage: FileStorage
) -> None:
    start = FakeClock().now()  # when _complete's uploads are created
    half = uc.create_upload(uow_factory, storage, FakeClock(start), LIMITS, "half.csv", 100)
    uc.append_to_upload(uow_factory, storage, FakeClock(), LIMITS, half.id, 0, b"x" * 10)
    never_imported = _complete(uow_factory, storage, "left.csv", b"sku,name\na,A\n")
    imported = _complete(uow_factory, storage, "cat.csv", b"sku,name\nb,B\n")
    uc.import_upload(uow_factory, storage, FakeTaskQueue(), FakeClock(), imported)
    later = start + timedelta(hours=24, minutes=30)
    recent = uc.create_upload(uow_factory, storage, FakeClock(later), LIMITS, "new.csv", 100)
    now = FakeClock(start + timedelta(hours=25))

    expired = uc.expire_abandoned_uploads(uow_factory, storage, now, timedelta(hours=24))

    assert sorted(expired) == sorted([half.id, never_imported])
    for gone in expired:
        with pytest.raises(NotFoundError):
            uc.get_upload(uow_factory, storage, gone)
        assert storage.size(f"uploads/{gone}") is None
    for kept in (imported, recent.id):
        assert uc.get_upload(uow_factory, storage, kept).id == kept
        assert storage.size(f"uploads/{kept}") is not None
    assert uc.expire_abandoned_uploads(uow_factory, storage, now, timedelta(hours=24)) == []


def test_an_upload_still_receiving_parts_is_kept_however_old_it_is(
    uow_factory: UowFactory, storage: FileStorage
) -> None:
    start = FakeClock().now()

    def at(hours: float) -> FakeClock:
        return FakeClock(start + timedelta(hours=hours))

    slow = uc.create_upload(uow_factory, storage, at(0), LIMITS, "slow.csv", 100)
    uc.append_to_upload(uow_factory, storage, at(23), LIMITS, slow.id, 0, b"x" * 10)
    uc.append_to_upload(uow_factory, storage, at(47), LIMITS, slow.id, 10, b"y" * 10)
    stalled = uc.create_upload(uow_factory, storage, at(0), LIMITS, "stalled.csv", 100)
    uc.append_to_upload(uow_factory, storage, at(1), LIMITS, stalled.id, 0, b"z" * 10)

    expired = uc.expire_abandoned_uploads(uow_factory, storage, at(48), timedelta(hours=24))

    assert expired == [stalled.id]  # idle for 47 hours; the slow one for 1 hour only
    assert uc.get_upload(uow_factory, storage, slow.id).offset == 20
    assert storage.size(f"uploads/{stalled.id}") is None


def test_a_part_arriving_after_the_listing_keeps_the_upload(
    uow_factory: UowFactory, storage: FileStorage
) -> None:
    start = FakeClock().now()
    up = uc.create_upload(uow_factory, storage, FakeClock(start), LIMITS, "late.csv", 100)
    idle_since = start + timedelta(hours=1)
    with uow_factory() as uow:
        assert [u.id for u in uow.uploads.list_idle_unimported(idle_since, 10)] == [up.id]
    later = FakeClock(start + timedelta(hours=2))
    uc.append_to_upload(uow_factory, storage, later, LIMITS, up.id, 0, b"x" * 10)
    with uow_factory() as uow:
        assert uow.uploads.delete_idle_unimported(up.id, idle_since) is False
        uow.commit()
    assert uc.get_upload(uow_factory, storage, up.id).offset == 10
