"""The CSV rules of the contract, as pure functions."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from acme.domain.csv_rules import (
    CsvFormatError,
    ImportRow,
    RowError,
    fast_sku_key,
    parse_active,
    parse_header,
    validate_record,
)
from acme.domain.errors import ValidationError
from acme.domain.product import Product
from acme.domain.sku import sku_key


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("true", True),
        (" TRUE ", True),
        ("1", True),
        ("Yes", True),
        ("false", False),
        ("0", False),
        ("NO", False),
        (" no\t", False),
    ],
)
def test_parse_active_accepts_the_contract_words(raw: str, expected: bool) -> None:
    assert parse_active(raw) is expected


@pytest.mark.parametrize("raw", ["", "y", "2", "on", "truee"])
def test_parse_active_rejects_anything_else(raw: str) -> None:
    with pytest.raises(ValidationError, match="true/false/1/0/yes/no"):
        parse_active(raw)


def test_header_is_trimmed_case_insensitive_any_order_and_warns_about_unknowns() -> None:
    header = parse_header([" Name", "colour", "SKU ", "ACTIVE", "Size"])
    assert (header.sku, header.name, header.active, header.description) == (2, 0, 3, None)
    assert header.warnings == ["unknown columns 'colour', 'Size' ignored"]


@pytest.mark.parametrize(
    ("cells", "message"),
    [
        (["name", "description"], "Line 1: missing required column 'sku'"),
        (["sku"], "Line 1: missing required column 'name'"),
        (["sku", "name", "SKU"], "Line 1: column 'sku' appears more than once"),
    ],
)
def test_bad_header_names_the_line(cells: list[str], message: str) -> None:
    with pytest.raises(CsvFormatError) as caught:
        parse_header(cells)
    assert caught.value.message == message


HEADER = parse_header(["sku", "name", "description", "active"])


def test_valid_record_is_trimmed_and_keyed() -> None:
    row = validate_record([" Ab-1 ", " Chair ", " desc ", " no "], HEADER, 7)
    assert row == ImportRow(7, "Ab-1", "ab-1", "Chair", " desc ", False)


def test_empty_active_means_not_given() -> None:
    row = validate_record(["a", "b", "", ""], HEADER, 2)
    assert isinstance(row, ImportRow) and row.active is None and row.description == ""


def test_every_problem_of_a_record_is_reported() -> None:
    assert validate_record(["", "", "d", "perhaps"], HEADER, 9) == [
        RowError(9, "", "sku", "SKU must not be empty"),
        RowError(9, "", "name", "name must not be empty"),
        RowError(9, "", "active", "active must be one of true/false/1/0/yes/no, not 'perhaps'"),
    ]


def test_short_and_long_records_are_rejected() -> None:
    assert validate_record(["a", "b"], HEADER, 3) == [
        RowError(3, "a", "description", "the record has 2 fields, the header has 4"),
        RowError(3, "a", "active", "the record has 2 fields, the header has 4"),
    ]
    long = validate_record(["a", "b", "c", "1", "oops"], HEADER, 4)
    assert isinstance(long, list) and long[0].column == "" and "5 fields" in long[0].reason
    assert isinstance(validate_record(["a", "b", "c", "1", ""], HEADER, 5), ImportRow)


@given(st.text(max_size=20))
def test_fast_sku_key_equals_sku_key(raw: str) -> None:
    assert fast_sku_key(raw.strip()) == sku_key(raw)


@given(
    st.text(max_size=300),
    st.text(max_size=300),
    st.one_of(st.just(""), st.text(max_size=50)),
)
def test_record_validation_agrees_with_the_product_rules(sku: str, name: str, desc: str) -> None:
    result = validate_record([sku, name, desc, ""], HEADER, 2)
    field: str | None = None
    try:
        product = Product(sku=sku, name=name, description=desc)
    except ValidationError as exc:
        field = exc.field
    if field is None:
        assert result == ImportRow(2, product.sku, product.key, product.name, desc, None)
    else:
        assert isinstance(result, list)
        assert field in {e.column for e in result}


@given(
    st.lists(
        st.one_of(
            st.text(max_size=8),
            st.sampled_from(["", " ", "YES", " no ", "1", "maybe", "a\tb", "x\x00", "é"]),
        ),
        min_size=3,
        max_size=5,
    )
)
def test_the_fast_path_agrees_with_the_careful_one(cells: list[str]) -> None:
    from acme.domain.csv_rules import _validate_slowly

    header = parse_header(["active", "sku", "description", "name"])
    assert validate_record(cells, header, 5) == _validate_slowly(cells, header, 5)
