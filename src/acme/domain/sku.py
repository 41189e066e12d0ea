"""SKU normalisation: the one function every path that compares SKUs goes through.

A SKU is displayed as the user wrote it (trimmed), and identified by its *key*: Unicode NFKC
normalisation and case folding, so that ``ABC-1``, ``abc-1`` and ``ＡＢＣ-1`` are one product.
"""

import unicodedata

MAX_SKU_LENGTH = 255


def clean_sku(raw: str) -> str:
    """The SKU as stored and shown: surrounding whitespace removed, inner text kept."""
    return raw.strip()


def _fold(text: str) -> str:
    # NFKC, case fold, NFKC again: folding can denormalise (U+00AF MACRON folds to a space and a
    # combining mark), so the second pass keeps the key stable under repeated folding.
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())


def sku_key(raw: str) -> str:
    """The case-insensitive identity of a SKU; equal keys mean the same product."""
    return _fold(clean_sku(raw)).strip()


def sku_filter_key(fragment: str) -> str:
    """A search fragment folded the same way as keys, so 'contains' matches are consistent."""
    return _fold(fragment)
