"""Webhook secrets at rest: sealing, reading old values, key rotation, the key file."""

from __future__ import annotations

import pytest

from acme.adapters.secret_box import PREFIX, SecretBox, SecretUnreadable
from acme.domain.webhook import new_secret


def test_a_sealed_secret_reads_back_and_shows_nothing_of_itself() -> None:
    box = SecretBox(["key one"])
    secret = new_secret()
    sealed = box.seal(secret)
    assert sealed.startswith(PREFIX) and secret not in sealed
    assert secret.removeprefix("whsec_") not in sealed
    assert box.open(sealed) == secret
    assert box.seal(secret) != sealed  # a fresh IV each time
    assert len(sealed) <= 255  # fits webhooks.secret (migration 0011)


def test_a_secret_stored_before_encryption_reads_as_it_is_and_is_not_current() -> None:
    box = SecretBox(["key one"])
    assert box.open("whsec_plain") == "whsec_plain"
    assert not box.is_current("whsec_plain")
    assert box.is_current(box.reseal("whsec_plain"))


def test_rotation_new_key_first_reads_old_secrets_and_reseals_them() -> None:
    old, new = SecretBox(["old key"]), SecretBox(["new key", "old key"])
    sealed_old = old.seal("whsec_abc")
    assert new.open(sealed_old) == "whsec_abc"
    assert not new.is_current(sealed_old)
    resealed = new.reseal(sealed_old)
    assert new.is_current(resealed) and SecretBox(["new key"]).open(resealed) == "whsec_abc"
    with pytest.raises(SecretUnreadable):  # the old key alone no longer reads it
        old.open(resealed)


def test_a_wrong_key_is_a_clear_error_not_garbage() -> None:
    sealed = SecretBox(["right"]).seal("whsec_abc")
    with pytest.raises(SecretUnreadable, match="ACME_SECRET_KEY=new,old"):
        SecretBox(["wrong"]).open(sealed)


def test_settings_list_keys_comma_separated_and_need_one() -> None:
    sealed = SecretBox(["b"]).seal("whsec_x")
    box = SecretBox.from_settings(" a , b ,", "/nonexistent/never-read.key")
    assert box.open(sealed) == "whsec_x"
    with pytest.raises(ValueError, match="at least one key"):
        SecretBox([" ", ""])


def test_keys_given_as_a_function_are_read_on_first_use_only() -> None:
    calls: list[int] = []

    def keys() -> list[str]:
        calls.append(1)
        return ["lazy key"]

    box = SecretBox(keys)
    assert calls == []
    sealed = box.seal("whsec_x")
    assert box.open(sealed) == "whsec_x" and calls == [1]
