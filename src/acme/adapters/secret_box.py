"""Webhook signing secrets encrypted at rest under the application's keys.

The sender needs each secret itself (it signs with it), so secrets are encrypted, not hashed:
Fernet (AES-128-CBC with HMAC-SHA256, from the ``cryptography`` package) under keys derived
from ``ACME_SECRET_KEY``. That setting may list several keys, comma-separated: the first
encrypts, every one decrypts, so a key is rotated by putting the new one first and running
``acme db upgrade``, which re-encrypts every secret under it (``reseal``). With the setting
empty, the embedded default keeps one random key in a file (``ACME_SECRET_KEY_FILE``,
created with mode 0600 on first use); every process of a deployment must share the same key.

A stored value that does not carry the prefix was stored before secrets were encrypted; it
is read as it is, and ``acme db upgrade`` encrypts it.
"""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported when first used: a process without webhooks never loads it
    from cryptography.fernet import Fernet, MultiFernet

PREFIX = "fernet:"


class SecretUnreadable(RuntimeError):
    """A stored secret that none of the configured keys decrypts."""


def _fernet(key: str) -> Fernet:
    from cryptography.fernet import Fernet

    # Any string is accepted as a key; SHA-256 turns it into the 32 bytes Fernet wants.
    return Fernet(base64.urlsafe_b64encode(hashlib.sha256(key.encode("utf-8")).digest()))


def key_from_file(path: Path) -> str:
    """The key kept in ``path``, created (random, mode 0600) if the file does not exist."""
    try:
        return path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process created it first: use theirs
        return path.read_text(encoding="ascii").strip()
    with os.fdopen(fd, "w", encoding="ascii") as f:
        f.write(key + "\n")
    return key


def _usable(keys: Sequence[str]) -> list[str]:
    usable = [k.strip() for k in keys if k.strip()]
    if not usable:
        raise ValueError("at least one key is needed")
    return usable


class SecretBox:
    """Seals (encrypts) and opens (decrypts) secrets; ``keys[0]`` seals, all of them open.
    ``keys`` may be a function giving them, called on first use (so a process that never
    touches a webhook never reads or creates a key file)."""

    def __init__(self, keys: Sequence[str] | Callable[[], Sequence[str]]) -> None:
        if callable(keys):
            self._load = keys
        else:
            given = _usable(keys)  # refused at once when empty
            self._load = lambda: given
        self._fernets: tuple[Fernet, MultiFernet] | None = None

    @classmethod
    def from_settings(cls, secret_key: str, key_file: str | Path) -> SecretBox:
        """``ACME_SECRET_KEY`` (comma-separated keys), else the key in ``key_file``."""
        keys = [k for k in secret_key.split(",") if k.strip()]
        return cls(keys) if keys else cls(lambda: [key_from_file(Path(key_file))])

    @property
    def _current(self) -> Fernet:
        return self._ready()[0]

    @property
    def _all(self) -> MultiFernet:
        return self._ready()[1]

    def _ready(self) -> tuple[Fernet, MultiFernet]:
        if self._fernets is None:
            from cryptography.fernet import MultiFernet

            keys = _usable(self._load())
            self._fernets = (_fernet(keys[0]), MultiFernet([_fernet(k) for k in keys]))
        return self._fernets

    def seal(self, secret: str) -> str:
        return PREFIX + self._current.encrypt(secret.encode("utf-8")).decode("ascii")

    def open(self, stored: str) -> str:
        if not stored.startswith(PREFIX):
            return stored  # stored before encryption; `acme db upgrade` seals it
        from cryptography.fernet import InvalidToken

        try:
            return self._all.decrypt(stored[len(PREFIX) :].encode("ascii")).decode("utf-8")
        except InvalidToken:
            raise SecretUnreadable(
                "a stored webhook secret cannot be decrypted with ACME_SECRET_KEY: it was "
                "encrypted under another key (to change keys, set ACME_SECRET_KEY=new,old and "
                "run `acme db upgrade`)"
            ) from None

    def is_current(self, stored: str) -> bool:
        """Whether ``stored`` is sealed under the first key (nothing to re-encrypt)."""
        if not stored.startswith(PREFIX):
            return False
        from cryptography.fernet import InvalidToken

        try:
            self._current.decrypt(stored[len(PREFIX) :].encode("ascii"))
        except InvalidToken:
            return False
        return True

    def reseal(self, stored: str) -> str:
        """``stored`` sealed under the first key (opened with any key first)."""
        return self.seal(self.open(stored))
