"""Streaming the ``file`` field out of a multipart body, whatever the chunk boundaries."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from acme.domain.errors import ValidationError
from acme.entrypoints.api.multipart_stream import MultipartFile

BOUNDARY = "xYzBoundary"
CTYPE = f"multipart/form-data; boundary={BOUNDARY}"


def _body(*parts: tuple[str, str | None, bytes]) -> bytes:
    out = b""
    for name, filename, data in parts:
        disp = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
        out += f"--{BOUNDARY}\r\nContent-Disposition: {disp}\r\n\r\n".encode() + data + b"\r\n"
    return out + f"--{BOUNDARY}--\r\n".encode()


def _chunks(data: bytes, size: int) -> Iterator[bytes]:
    for i in range(0, len(data), size):
        yield data[i : i + size]


@pytest.mark.parametrize("size", [1, 7, 64, 1 << 20])
def test_the_file_part_comes_out_intact_after_other_fields(size: int) -> None:
    payload = b'sku,name\r\nA,"x\r\n--not-a-boundary"\r\n' * 50
    body = _body(("note", None, b"hello"), ("file", "cat.csv", payload), ("after", None, b"1"))
    upload = MultipartFile(_chunks(body, size), CTYPE)
    assert upload.filename == "cat.csv"
    assert b"".join(upload) == payload


def test_a_body_without_the_file_field_is_refused() -> None:
    with pytest.raises(ValidationError, match="no 'file' file field"):
        MultipartFile(_chunks(_body(("other", "a.csv", b"x")), 5), CTYPE)


def test_a_truncated_body_is_refused() -> None:
    body = _body(("file", "a.csv", b"sku,name\nA,B\n" * 100))[:-200]
    upload = MultipartFile(_chunks(body, 50), CTYPE)
    with pytest.raises(ValidationError, match="ended before the file was complete"):
        b"".join(upload)


def test_a_non_multipart_request_is_refused() -> None:
    with pytest.raises(ValidationError, match="multipart/form-data"):
        MultipartFile(iter([b"sku,name"]), "text/csv")
