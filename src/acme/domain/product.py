"""The Product entity and its validation rules."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from acme.domain.errors import ValidationError
from acme.domain.sku import MAX_SKU_LENGTH, clean_sku, sku_key

MAX_NAME_LENGTH = 255
MAX_DESCRIPTION_LENGTH = 100_000


def has_lone_surrogate(text: str) -> bool:
    """Whether ``text`` holds a UTF-16 surrogate code point, which no UTF-8 store can keep
    (JSON can smuggle one in as an escape like \\ud800)."""
    if text.isascii():
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _require_unicode(text: str, field: str, label: str) -> None:
    if has_lone_surrogate(text):
        raise ValidationError(
            f"{label} must be valid Unicode text (it contains a lone surrogate)", field=field
        )


def validate_sku(raw: str) -> str:
    sku = clean_sku(raw)
    if not sku:
        raise ValidationError("SKU must not be empty", field="sku")
    if len(sku) > MAX_SKU_LENGTH:
        raise ValidationError(f"SKU is longer than {MAX_SKU_LENGTH} characters", field="sku")
    if any(ch in sku for ch in "\r\n\t\x00"):
        raise ValidationError("SKU must not contain control characters", field="sku")
    _require_unicode(sku, "sku", "SKU")
    return sku


def key_of(sku: str) -> str:
    """The key of a validated SKU, which must fit the same length limit (NFKC can expand a
    character: 'ﷺ' becomes 18)."""
    key = sku_key(sku)
    if len(key) > MAX_SKU_LENGTH:
        raise ValidationError(
            f"SKU is longer than {MAX_SKU_LENGTH} characters once normalised", field="sku"
        )
    return key


def validate_name(raw: str) -> str:
    name = raw.strip()
    if not name:
        raise ValidationError("name must not be empty", field="name")
    if len(name) > MAX_NAME_LENGTH:
        raise ValidationError(f"name is longer than {MAX_NAME_LENGTH} characters", field="name")
    if "\x00" in name:
        raise ValidationError("name must not contain NUL characters", field="name")
    _require_unicode(name, "name", "name")
    return name


def validate_description(raw: str) -> str:
    if len(raw) > MAX_DESCRIPTION_LENGTH:
        raise ValidationError(
            f"description is longer than {MAX_DESCRIPTION_LENGTH} characters", field="description"
        )
    if "\x00" in raw:
        raise ValidationError("description must not contain NUL characters", field="description")
    _require_unicode(raw, "description", "description")
    return raw


@dataclass
class Product:
    """A catalog entry. Identity is the case-insensitive SKU key; ``id`` is the storage key."""

    sku: str
    name: str
    description: str = ""
    active: bool = True
    id: int | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    _key: str = field(init=False, repr=False, compare=False, default="")

    def __post_init__(self) -> None:
        self.sku = validate_sku(self.sku)
        self.name = validate_name(self.name)
        self.description = validate_description(self.description)
        self._key = key_of(self.sku)

    @property
    def key(self) -> str:
        return self._key

    def change(
        self,
        *,
        sku: str | None = None,
        name: str | None = None,
        description: str | None = None,
        active: bool | None = None,
    ) -> bool:
        """Apply the given fields; return whether anything actually changed."""
        before = (self.sku, self.name, self.description, self.active)
        if sku is not None:
            new_sku = validate_sku(sku)
            self._key = key_of(new_sku)
            self.sku = new_sku
        if name is not None:
            self.name = validate_name(name)
        if description is not None:
            self.description = validate_description(description)
        if active is not None:
            self.active = active
        return before != (self.sku, self.name, self.description, self.active)
