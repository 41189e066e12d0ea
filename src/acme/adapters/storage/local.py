"""FileStorage on a local folder (``file://./var/uploads``)."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO

from acme.application.ports import FileStorage
from acme.domain.errors import ConflictError, NotFoundError, ValidationError


class LocalFileStorage(FileStorage):
    def __init__(self, root: str | Path) -> None:
        self._root = Path(root).resolve()

    def _path(self, key: str) -> Path:
        path = (self._root / key).resolve()
        if not key or not path.is_relative_to(self._root) or path == self._root:
            raise ValidationError(f"invalid storage key {key!r}")
        return path

    def write(self, key: str, chunks: Iterable[bytes]) -> int:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        size = 0
        with tmp.open("wb") as f:
            for chunk in chunks:
                f.write(chunk)
                size += len(chunk)
        os.replace(tmp, path)
        return size

    def append(self, key: str, offset: int, data: bytes) -> int:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("ab") as f:
            current = f.tell()
            if current != offset:
                raise ConflictError(f"upload offset {offset} does not match stored size {current}")
            f.write(data)
            return f.tell()

    def open(self, key: str) -> BinaryIO:
        try:
            return self._path(key).open("rb")
        except FileNotFoundError:
            raise NotFoundError(f"file {key!r} not found") from None

    def size(self, key: str) -> int | None:
        try:
            return self._path(key).stat().st_size
        except FileNotFoundError:
            return None

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)


def local_root_from_url(url: str) -> Path:
    """``file://./var/uploads`` -> ./var/uploads; ``file:///abs/path`` -> /abs/path."""
    if not url.startswith("file://"):
        raise ValueError(f"not a file:// storage URL: {url}")
    return Path(url.removeprefix("file://"))
