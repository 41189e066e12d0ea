"""The Upload entity's rules."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from acme.domain.errors import ConflictError, InvalidStateError, TooLargeError, ValidationError
from acme.domain.upload import Upload

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def test_a_part_must_start_at_the_confirmed_offset_and_fit_the_length() -> None:
    up = Upload(filename=" data.csv ", length=10, created_at=NOW)
    assert up.filename == "data.csv"
    assert up.storage_key == f"uploads/{up.id}"
    up.check_append(0, 10)
    with pytest.raises(ConflictError):
        up.check_append(3, 1)
    with pytest.raises(TooLargeError):
        up.check_append(0, 11)


def test_only_a_complete_upload_can_be_imported() -> None:
    up = Upload(filename="a.csv", length=4, created_at=NOW)
    with pytest.raises(InvalidStateError, match="0 of 4 bytes"):
        up.attach_import("job1")
    up.appended(4)
    up.attach_import("job1")
    assert (up.complete, up.import_job_id) == (True, "job1")


def test_a_negative_length_is_refused() -> None:
    with pytest.raises(ValidationError):
        Upload(filename="a.csv", length=-1, created_at=NOW)
