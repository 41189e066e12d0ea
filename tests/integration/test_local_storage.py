from __future__ import annotations

from pathlib import Path

import pytest

from acme.adapters.storage.local import LocalFileStorage, local_root_from_url
from acme.domain.errors import ConflictError, NotFoundError, ValidationError


def test_write_read_append_delete(tmp_path: Path) -> None:
    s = LocalFileStorage(tmp_path)
    assert s.size("uploads/a") is None
    assert s.write("uploads/a", [b"ab", b"cd"]) == 4
    with s.open("uploads/a") as f:
        assert f.read() == b"abcd"
    assert s.append("uploads/b", 0, b"12") == 2
    assert s.append("uploads/b", 2, b"34") == 4
    with pytest.raises(ConflictError, match="offset 2 does not match stored size 4"):
        s.append("uploads/b", 2, b"xx")
    assert s.open("uploads/b").read() == b"1234"
    s.delete("uploads/b")
    s.delete("uploads/b")
    with pytest.raises(NotFoundError):
        s.open("uploads/b")


@pytest.mark.parametrize("key", ["", "../escape", "/etc/passwd", "a/../../x"])
def test_keys_cannot_escape_the_root(tmp_path: Path, key: str) -> None:
    with pytest.raises(ValidationError):
        LocalFileStorage(tmp_path / "root").write(key, [b"x"])


def test_root_from_url() -> None:
    assert local_root_from_url("file://./var/uploads") == Path("./var/uploads")
    assert local_root_from_url("file:///srv/u") == Path("/srv/u")
