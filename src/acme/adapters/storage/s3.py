"""FileStorage on S3 (or any S3-compatible server): ``ACME_STORAGE_URL=s3://bucket/prefix``.

Layout under ``prefix``:

- ``<key>``: an object written whole by ``write`` (a streamed S3 multipart upload, so a large
  file never sits in memory);
- ``.parts/<key>/<offset>``: each ``append`` (one resumable-upload chunk) is its own object,
  named by its zero-padded byte offset. ``open`` streams the base object (if any) and then
  the parts in offset order as one file; ``size`` is the sum.

Why part objects rather than one S3 multipart upload per file: S3 requires every multipart
part but the last to be at least 5 MiB, while upload chunks can be any size, and the web
servers that receive them share no disk to buffer on. Part objects have no size floor, each
append is durable the moment it returns, any host can continue the upload, and a
conditional put (``If-None-Match: *``) makes two racing appends at the same offset a
conflict instead of a silent overwrite. See docs/decisions/0009-production-deployment.md.
"""

from __future__ import annotations

import io
import posixpath
from collections.abc import Iterable, Iterator
from typing import Any, BinaryIO

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from acme.application.ports import FileStorage
from acme.domain.errors import ConflictError, NotFoundError, ValidationError

PART_DIR = ".parts"
MULTIPART_CHUNK = 8 * 1024 * 1024  # bytes per uploaded part when writing a whole object
_OFFSET_DIGITS = 20


def parse_s3_url(url: str) -> tuple[str, str]:
    """``s3://bucket/some/prefix`` -> ("bucket", "some/prefix")."""
    if not url.startswith("s3://"):
        raise ValueError(f"not an s3:// storage URL: {url}")
    bucket, _, prefix = url.removeprefix("s3://").partition("/")
    if not bucket:
        raise ValueError(f"no bucket in storage URL {url!r}: expected s3://bucket/prefix")
    return bucket, prefix.strip("/")


def _missing(exc: ClientError) -> bool:
    code = str(exc.response.get("Error", {}).get("Code", ""))
    return code in ("404", "NoSuchKey", "NotFound")


class S3FileStorage(FileStorage):
    def __init__(
        self, bucket: str, prefix: str = "", *, endpoint_url: str | None = None, client: Any = None
    ) -> None:
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self._s3 = client or boto3.client(
            "s3",
            endpoint_url=endpoint_url or None,
            config=Config(retries={"max_attempts": 5, "mode": "standard"}),
        )

    @classmethod
    def from_url(cls, url: str, endpoint_url: str | None = None) -> S3FileStorage:
        bucket, prefix = parse_s3_url(url)
        return cls(bucket, prefix, endpoint_url=endpoint_url)

    # -- naming ------------------------------------------------------------------------
    def _check(self, key: str) -> str:
        parts = key.split("/")
        if not key or key.startswith("/") or any(p in ("", ".", "..", PART_DIR) for p in parts):
            raise ValidationError(f"invalid storage key {key!r}")
        return key

    def _object(self, key: str) -> str:
        return posixpath.join(self.prefix, self._check(key)) if self.prefix else self._check(key)

    def _part_dir(self, key: str) -> str:
        return posixpath.join(self.prefix, PART_DIR, self._check(key)) + "/"

    def _parts(self, key: str) -> list[tuple[str, int]]:
        """(S3 key, size) of every appended part, in offset order."""
        found: list[tuple[str, int]] = []
        paginator = self._s3.get_paginator("list_objects_v2")
        for page in paginator.paginate(
            Bucket=self.bucket, Prefix=self._part_dir(key), Delimiter="/"
        ):
            found.extend((o["Key"], int(o["Size"])) for o in page.get("Contents", []))
        return sorted(found)

    def _base_size(self, key: str) -> int | None:
        try:
            head = self._s3.head_object(Bucket=self.bucket, Key=self._object(key))
        except ClientError as exc:
            if _missing(exc):
                return None
            raise
        return int(head["ContentLength"])

    # -- the port ----------------------------------------------------------------------
    def write(self, key: str, chunks: Iterable[bytes]) -> int:
        target = self._object(key)
        upload_id = self._s3.create_multipart_upload(Bucket=self.bucket, Key=target)["UploadId"]
        size = 0
        done: list[dict[str, Any]] = []
        try:
            for number, block in enumerate(_blocks(chunks, MULTIPART_CHUNK), start=1):
                part = self._s3.upload_part(
                    Bucket=self.bucket,
                    Key=target,
                    UploadId=upload_id,
                    PartNumber=number,
                    Body=block,
                )
                done.append({"PartNumber": number, "ETag": part["ETag"]})
                size += len(block)
            if not done:  # an empty file: S3 multipart needs one part
                part = self._s3.upload_part(
                    Bucket=self.bucket, Key=target, UploadId=upload_id, PartNumber=1, Body=b""
                )
                done.append({"PartNumber": 1, "ETag": part["ETag"]})
            self._s3.complete_multipart_upload(
                Bucket=self.bucket,
                Key=target,
                UploadId=upload_id,
                MultipartUpload={"Parts": done},
            )
        except BaseException:
            self._s3.abort_multipart_upload(Bucket=self.bucket, Key=target, UploadId=upload_id)
            raise
        self._delete_parts(key)  # a replaced object drops what was appended before
        return size

    def append(self, key: str, offset: int, data: bytes) -> int:
        current = self.size(key)
        current_size = current or 0
        if current_size != offset:
            raise ConflictError(f"upload offset {offset} does not match stored size {current_size}")
        if not data:
            if current is None:  # "created empty if missing"
                self._put_new(self._object(key), b"")
            return current_size
        self._put_new(self._part_dir(key) + f"{offset:0{_OFFSET_DIGITS}d}", data)
        return offset + len(data)

    def _put_new(self, s3_key: str, data: bytes) -> None:
        try:
            self._s3.put_object(Bucket=self.bucket, Key=s3_key, Body=data, IfNoneMatch="*")
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", ""))
            if code in ("PreconditionFailed", "412", "ConditionalRequestConflict", "409"):
                raise ConflictError(
                    "another request already wrote this part of the upload; "
                    "ask the server for the current offset and resume"
                ) from None
            raise

    def open(self, key: str) -> BinaryIO:
        base = self._base_size(key)
        parts = self._parts(key)
        if base is None and not parts:
            raise NotFoundError(f"file {key!r} not found")
        keys = ([self._object(key)] if base is not None else []) + [k for k, _ in parts]
        return io.BufferedReader(_ConcatenatedObjects(self._s3, self.bucket, keys), 1024 * 1024)

    def size(self, key: str) -> int | None:
        base = self._base_size(key)
        parts = self._parts(key)
        if base is None and not parts:
            return None
        return (base or 0) + sum(size for _, size in parts)

    def delete(self, key: str) -> None:
        self._s3.delete_object(Bucket=self.bucket, Key=self._object(key))
        self._delete_parts(key)

    def _delete_parts(self, key: str) -> None:
        keys = [k for k, _ in self._parts(key)]
        for start in range(0, len(keys), 1000):
            batch = [{"Key": k} for k in keys[start : start + 1000]]
            self._s3.delete_objects(Bucket=self.bucket, Delete={"Objects": batch, "Quiet": True})


def _blocks(chunks: Iterable[bytes], size: int) -> Iterator[bytes]:
    """Regroup arbitrary chunks into blocks of ``size`` bytes (the last may be shorter)."""
    buffer = bytearray()
    for chunk in chunks:
        buffer += chunk
        while len(buffer) >= size:
            yield bytes(buffer[:size])
            del buffer[:size]
    if buffer:
        yield bytes(buffer)


class _ConcatenatedObjects(io.RawIOBase):
    """A forward-only raw stream over several S3 objects, fetched one at a time with GET
    (each a streaming body): memory use is one read buffer, whatever the file size."""

    def __init__(self, s3: Any, bucket: str, keys: list[str]) -> None:
        self._s3 = s3
        self._bucket = bucket
        self._pending = list(keys)
        self._body: Any = None
        self._position = 0

    def readable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if whence == io.SEEK_CUR and offset == 0:
            return self._position
        raise io.UnsupportedOperation("S3 upload streams are forward-only")

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        while True:
            if self._body is None:
                if not self._pending:
                    return 0
                key = self._pending.pop(0)
                try:
                    self._body = self._s3.get_object(Bucket=self._bucket, Key=key)["Body"]
                except ClientError as exc:
                    if _missing(exc):
                        raise NotFoundError("the stored file changed while it was read") from None
                    raise
            data = self._body.read(len(view))
            if data:
                view[: len(data)] = data
                self._position += len(data)
                return len(data)
            self._body.close()
            self._body = None

    def close(self) -> None:
        if self._body is not None:
            self._body.close()
            self._body = None
        super().close()
