from __future__ import annotations

import pytest

from acme.domain.errors import ValidationError
from acme.domain.product import Product


def test_product_trims_and_keys_its_sku() -> None:
    p = Product(sku="  Ab-1\t", name=" Chair ")
    assert (p.sku, p.key, p.name, p.active, p.description) == ("Ab-1", "ab-1", "Chair", True, "")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"sku": " ", "name": "x"}, "SKU must not be empty"),
        ({"sku": "x" * 256, "name": "x"}, "SKU is longer than 255"),
        ({"sku": "a\nb", "name": "x"}, "control characters"),
        ({"sku": "a", "name": "  "}, "name must not be empty"),
        ({"sku": "a", "name": "x" * 256}, "name is longer than 255"),
        ({"sku": "a", "name": "x", "description": "a\x00b"}, "NUL"),
        ({"sku": "a\ud800", "name": "x"}, "SKU must be valid Unicode text"),
        ({"sku": "a", "name": "x\udfff"}, "name must be valid Unicode text"),
        ({"sku": "a", "name": "x", "description": "\ud83d"}, "description must be valid Unicode"),
        ({"sku": "\ufdfa" * 15, "name": "x"}, "longer than 255 characters once normalised"),
    ],
)
def test_invalid_products_are_refused_with_a_clear_message(
    kwargs: dict[str, str], message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        Product(**kwargs)  # type: ignore[arg-type]


def test_change_reports_whether_anything_changed_and_rekeys() -> None:
    p = Product(sku="a", name="x")
    assert p.change(name="x") is False
    assert p.change(sku=" B ", active=False) is True
    assert (p.sku, p.key, p.active) == ("B", "b", False)
