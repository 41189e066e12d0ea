"""A small deterministic product CSV generator for the end-to-end tests, and the counts the
import must report for it, computed independently of the app (Python's csv module and the
contract's rules: SKU trimmed and case-insensitive, last row wins, rows without sku or name
rejected)."""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass
from pathlib import Path

from acme.domain.sku import sku_key

WORDS = [
    "oak",
    "chair",
    "table",
    "lamp",
    "walnut",
    "brass",
    "linen",
    "sofa",
    "shelf",
    "desk",
    "mirror",
    "rug",
    "stool",
    "bench",
    "vase",
    "clock",
    "frame",
    "basket",
    "candle",
    "pillow",
]


def generate(
    path: Path, rows: int, *, seed: int = 7, invalid_every: int = 0, prefix: str = ""
) -> Path:
    """``rows`` data rows whose SKUs start with ``prefix`` (so files can be told apart) and
    sometimes repeat (in another casing), descriptions with commas, quotes and newlines, and,
    with ``invalid_every``, a row missing its name."""
    rnd = random.Random(seed)
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\r\n")
        w.writerow(["sku", "name", "description"])
        for i in range(rows):
            n = i if rnd.random() > 0.06 else rnd.randrange(max(i, 1))
            sku = f"{prefix}{rnd.choice(WORDS)}-{n}"
            if rnd.random() < 0.01:
                sku = sku.upper()
            name = f"{rnd.choice(WORDS).title()} {rnd.choice(WORDS)}"
            if invalid_every and i % invalid_every == invalid_every - 1:
                name = ""
            desc = " ".join(rnd.choice(WORDS) for _ in range(rnd.randint(3, 12)))
            if rnd.random() < 0.3:
                desc = f'{desc}, "quoted"\nsecond line'
            w.writerow([sku, name, desc])
    return path


@dataclass(frozen=True)
class Expected:
    rows: int
    invalid: int
    unique: int
    duplicates_in_file: int
    invalid_lines: tuple[int, ...]
    """The physical line each rejected record starts on (the header is line 1)."""


def expected_counts(path: Path) -> Expected:
    rows = invalid = valid = 0
    keys: set[str] = set()
    lines: list[int] = []
    with path.open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        ended = 1  # the header's last line
        for record in reader:
            starts, ended = ended + 1, reader.line_num
            rows += 1
            if not (record["sku"] or "").strip() or not (record["name"] or "").strip():
                invalid += 1
                lines.append(starts)
                continue
            valid += 1
            keys.add(sku_key(record["sku"]))
    return Expected(rows, invalid, len(keys), valid - len(keys), tuple(lines))
