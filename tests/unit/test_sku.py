"""SKU identity: one normalisation, checked on Unicode and whitespace."""

from __future__ import annotations

import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from acme.domain.sku import clean_sku, sku_filter_key, sku_key

WHITESPACE = st.sampled_from([" ", "\t", "\n", "\r\n", "\u00a0", "\u2003", "\u3000"])
text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=30)


@given(text, st.lists(WHITESPACE, max_size=3), st.lists(WHITESPACE, max_size=3))
def test_surrounding_whitespace_never_changes_identity(
    s: str, before: list[str], after: list[str]
) -> None:
    assert sku_key("".join(before) + s + "".join(after)) == sku_key(s)


# Characters whose upper and lower case fold to the same thing (most of every script; this
# leaves out the few, like Turkish dotless i, whose case mapping is not reversible).
case_stable = st.characters(blacklist_categories=("Cs",)).filter(
    lambda c: c.upper().casefold() == c.lower().casefold() == c.casefold()
)


@given(st.text(case_stable, max_size=30))
def test_case_variants_share_a_key(s: str) -> None:
    assert sku_key(s.upper()) == sku_key(s.lower()) == sku_key(s.swapcase()) == sku_key(s)


@given(text)
def test_key_is_idempotent_and_normalised(s: str) -> None:
    key = sku_key(s)
    assert sku_key(key) == key
    assert unicodedata.is_normalized("NFKC", key)


@given(text)
def test_clean_sku_keeps_inner_text(s: str) -> None:
    assert clean_sku(s) == s.strip()


def test_known_equivalences() -> None:
    assert sku_key(" ABC-1 ") == sku_key("abc-1")
    assert sku_key("ＡＢＣ-１") == sku_key("abc-1")  # full-width forms
    assert sku_key("STRASSE") == sku_key("straße")
    assert sku_key("abc-1") != sku_key("abc-2")
    assert sku_key("a b") != sku_key("ab")


@given(text, text)
def test_filter_fragment_of_a_key_matches_it(prefix: str, rest: str) -> None:
    key = sku_key(prefix + rest)
    assert sku_filter_key(key) in key
