"""The FileStorage contract, run against every adapter: LocalFileStorage on a temporary folder
and S3FileStorage on a real S3-compatible server (moto in server mode), in tests/integration.
Each test takes a ``storage`` fixture: an empty FileStorage."""

from __future__ import annotations

import io
import os

import pytest

from acme.application.ports import FileStorage
from acme.domain.errors import ConflictError, NotFoundError, ValidationError

MIB = 1024 * 1024


def read_all(storage: FileStorage, key: str, block: int = 64 * 1024) -> bytes:
    out = bytearray()
    with storage.open(key) as f:
        while chunk := f.read(block):
            assert len(chunk) <= block
            out += chunk
    return bytes(out)


def test_a_missing_object_has_no_size_cannot_be_opened_and_deletes_quietly(
    storage: FileStorage,
) -> None:
    assert storage.size("uploads/none") is None
    with pytest.raises(NotFoundError):
        storage.open("uploads/none")
    storage.delete("uploads/none")
    assert storage.size("uploads/none") is None


def test_write_streams_chunks_and_reads_back_the_same_bytes(storage: FileStorage) -> None:
    data = os.urandom(9 * MIB + 123)  # more than one S3 multipart part
    chunks = [data[i : i + 700_001] for i in range(0, len(data), 700_001)]
    assert storage.write("uploads/big.csv", chunks) == len(data)
    assert storage.size("uploads/big.csv") == len(data)
    assert read_all(storage, "uploads/big.csv") == data


def test_write_an_empty_file(storage: FileStorage) -> None:
    assert storage.write("uploads/empty", []) == 0
    assert storage.size("uploads/empty") == 0
    assert read_all(storage, "uploads/empty") == b""


def test_write_replaces_the_previous_content(storage: FileStorage) -> None:
    storage.write("uploads/a", [b"old content"])
    storage.append("uploads/a", 11, b" and more")
    storage.write("uploads/a", [b"new"])
    assert read_all(storage, "uploads/a") == b"new"
    assert storage.size("uploads/a") == 3


def test_appends_at_the_right_offset_grow_the_object(storage: FileStorage) -> None:
    assert storage.append("uploads/r", 0, b"sku,name\n") == 9
    assert storage.append("uploads/r", 9, b"a-1,Chair\n") == 19
    assert storage.append("uploads/r", 19, b"a-2,Desk\n") == 28
    assert storage.size("uploads/r") == 28
    assert read_all(storage, "uploads/r", block=5) == b"sku,name\na-1,Chair\na-2,Desk\n"


def test_an_append_at_a_wrong_offset_is_a_conflict_and_changes_nothing(
    storage: FileStorage,
) -> None:
    storage.append("uploads/r", 0, b"1234")
    for offset in (0, 2, 5):
        with pytest.raises(ConflictError, match=f"offset {offset} does not match stored size 4"):
            storage.append("uploads/r", offset, b"xx")
    assert read_all(storage, "uploads/r") == b"1234"
    with pytest.raises(ConflictError):
        storage.append("uploads/new", 3, b"x")
    assert not storage.size("uploads/new")  # no content (the local folder may keep it empty)


def test_an_empty_append_creates_an_empty_object(storage: FileStorage) -> None:
    assert storage.append("uploads/e", 0, b"") == 0
    assert storage.size("uploads/e") == 0
    assert storage.append("uploads/e", 0, b"ab") == 2
    assert storage.append("uploads/e", 2, b"") == 2
    assert read_all(storage, "uploads/e") == b"ab"


def test_appending_to_a_written_object_continues_it(storage: FileStorage) -> None:
    storage.write("uploads/w", [b"head,"])
    assert storage.append("uploads/w", 5, b"tail") == 9
    assert read_all(storage, "uploads/w") == b"head,tail"


def test_many_appended_parts_read_as_one_stream_with_a_position(storage: FileStorage) -> None:
    parts = [f"line {i},{'x' * (i % 7)}\n".encode() for i in range(60)]
    offset = 0
    for part in parts:
        offset = storage.append("uploads/many", offset, part)
    expected = b"".join(parts)
    with storage.open("uploads/many") as f:
        head = f.read(100)
        assert f.tell() == 100
        rest = f.read()
    assert head + rest == expected
    text = io.TextIOWrapper(storage.open("uploads/many"), encoding="utf-8-sig", newline="")
    with text:
        assert sum(1 for _ in text) == 60


def test_delete_removes_written_and_appended_content(storage: FileStorage) -> None:
    storage.write("uploads/d", [b"abc"])
    storage.append("uploads/d", 3, b"def")
    storage.delete("uploads/d")
    assert storage.size("uploads/d") is None
    with pytest.raises(NotFoundError):
        storage.open("uploads/d")
    assert storage.append("uploads/d", 0, b"fresh") == 5
    assert read_all(storage, "uploads/d") == b"fresh"


def test_objects_are_independent(storage: FileStorage) -> None:
    storage.append("uploads/one", 0, b"1")
    storage.append("uploads/one-two", 0, b"12")
    storage.write("uploads/x/one", [b"nested"])
    storage.delete("uploads/one")
    assert storage.size("uploads/one-two") == 2
    assert read_all(storage, "uploads/x/one") == b"nested"


@pytest.mark.parametrize("key", ["", "../escape", "/etc/passwd", "a/../../x"])
def test_keys_cannot_escape(storage: FileStorage, key: str) -> None:
    with pytest.raises(ValidationError):
        storage.write(key, [b"x"])
