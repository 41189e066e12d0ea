"""Test CSVs built from parameters, with the outcome each one must have computed from the
same parameters (so no test hard-codes a result)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Expected:
    records: int
    unique: int
    invalid_lines: list[int]
    duplicates: int


def write_catalog(
    path: Path, rows: int, *, invalid_every: int = 0, recased_every: int = 0
) -> Expected:
    """``rows`` records ``SKU-<i>``; every ``invalid_every``-th has an empty name (rejected),
    every ``recased_every``-th is followed by a lower-cased copy of its SKU (a case-variant
    duplicate, which wins). Descriptions carry commas, quotes and newlines."""
    invalid: list[int] = []
    duplicates = 0
    line = 1
    records = 0
    valid_keys: set[str] = set()
    with path.open("w", encoding="utf-8", newline="") as f:
        f.write("sku,name,description,active\r\n")
        for i in range(1, rows + 1):
            name = "" if invalid_every and i % invalid_every == 0 else f"Product {i}"
            desc = f'"Line one, of {i}\nsaid ""hi"""'
            f.write(f"SKU-{i},{name},{desc},true\r\n")
            line += 1
            records += 1
            if not name:
                invalid.append(line)
            else:
                valid_keys.add(f"sku-{i}")
            line += 1  # the newline inside the description
            if recased_every and i % recased_every == 0 and name:
                f.write(f"sku-{i},Product {i} again,plain,false\r\n")
                line += 1
                records += 1
                duplicates += 1
    return Expected(
        records=records, unique=len(valid_keys), invalid_lines=invalid, duplicates=duplicates
    )
