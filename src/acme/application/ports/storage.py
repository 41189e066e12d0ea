from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable
from typing import BinaryIO


class FileStorage(ABC):
    """Where uploaded files live (local folder in the embedded default, S3 in production).

    Keys are relative, slash-separated names such as ``uploads/<id>``. Objects can be written
    whole (``write``) or grown by appending parts at a known offset (``append``), which is what
    a resumable upload needs; reading is always a stream, never the whole file in memory.
    """

    @abstractmethod
    def write(self, key: str, chunks: Iterable[bytes]) -> int:
        """Create or replace ``key`` with the concatenated chunks; return its size."""

    @abstractmethod
    def append(self, key: str, offset: int, data: bytes) -> int:
        """Append ``data`` to ``key`` (created empty if missing) if its size equals ``offset``;
        return the new size. Raises ConflictError when the offset does not match."""

    @abstractmethod
    def open(self, key: str) -> BinaryIO:
        """A binary stream over the object. Raises NotFoundError if it does not exist."""

    @abstractmethod
    def size(self, key: str) -> int | None:
        """The object's size in bytes, or None if it does not exist."""

    @abstractmethod
    def delete(self, key: str) -> None:
        """Remove the object; a missing object is not an error."""
