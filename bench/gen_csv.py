"""A deterministic product CSV shaped like the real catalog file, with its own vocabulary.

Usage: python -m bench.gen_csv ROWS OUT [--seed 7] [--case-rate 0.01] [--repeat-rate 0.065]

Shape (from the brief's description of the real file: 500,000 records, ~87 MB, 466,693
unique SKUs, newlines inside quoted descriptions in most rows):
- header ``name,sku,description``; CRLF between records, none after the last;
- ~60% of descriptions span several lines (bare LF inside a quoted field);
- ~6.5% of rows repeat an earlier SKU; ``--case-rate`` of rows re-case their SKU.
The words are made up from syllables here, so nothing is copied from any sample file.
"""

from __future__ import annotations

import argparse
import random
from collections.abc import Iterator
from pathlib import Path

SYLLABLES = [
    "ka",
    "lo",
    "mi",
    "ra",
    "ten",
    "vor",
    "sul",
    "bex",
    "dra",
    "pim",
    "cor",
    "fal",
    "nu",
    "gri",
    "sho",
    "ple",
    "ta",
    "wen",
    "zo",
    "qui",
    "mar",
    "lin",
    "dos",
    "fer",
    "hal",
    "jun",
    "kri",
    "mop",
    "nar",
    "ost",
    "pur",
    "rus",
    "sev",
    "tol",
    "urb",
    "vin",
    "wex",
    "yor",
    "zel",
    "bru",
    "cla",
    "dre",
    "fio",
    "gaz",
]


def _words(rnd: random.Random, n: int, lo: int, hi: int) -> list[str]:
    seen: set[str] = set()
    out: list[str] = []
    while len(out) < n:
        word = "".join(rnd.choice(SYLLABLES) for _ in range(rnd.randint(lo, hi)))
        if word not in seen:
            seen.add(word)
            out.append(word)
    return out


def records(
    rows: int, seed: int = 7, case_rate: float = 0.01, repeat_rate: float = 0.065
) -> Iterator[tuple[str, str, str]]:
    """(name, sku, description) records; descriptions are not yet CSV-quoted."""
    rnd = random.Random(seed)
    words = _words(rnd, 1500, 1, 2)
    first = [w.capitalize() for w in _words(rnd, 300, 2, 3)]
    last = [w.capitalize() for w in _words(rnd, 300, 2, 4)]
    recent: list[str] = []
    counter = 0
    for _ in range(rows):
        if recent and rnd.random() < repeat_rate:
            sku = rnd.choice(recent)
        else:
            counter += 1
            k = rnd.choices([1, 2, 3], weights=[5, 50, 45])[0]
            sku = "-".join(rnd.choice(words) for _ in range(k)) + f"-{counter:x}"
            if len(recent) < 50_000:
                recent.append(sku)
            else:
                recent[rnd.randrange(50_000)] = sku
        if rnd.random() < case_rate:
            sku = rnd.choice([sku.upper(), sku.title(), sku.capitalize()])
        sentences = [
            " ".join(rnd.choice(words) for _ in range(rnd.randint(3, 7))).capitalize() + "."
            for _ in range(rnd.choice([2, 3, 3, 4, 4, 5, 5, 6]))
        ]
        description = sentences[0]
        for s in sentences[1:]:
            description += ("\n" if rnd.random() < 0.3 else " ") + s
        if rnd.random() < 0.05:
            description = description.replace(".", ", and", 1)
        yield f"{rnd.choice(first)} {rnd.choice(last)}", sku, description


def write_csv(path: Path, rows: int, seed: int = 7, case_rate: float = 0.01) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", encoding="utf-8", newline="") as f:
        f.write("name,sku,description")
        for name, sku, description in records(rows, seed, case_rate):
            if "\n" in description or "," in description or '"' in description:
                description = '"' + description.replace('"', '""') + '"'
            f.write(f"\r\n{name},{sku},{description}")
    tmp.replace(path)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.gen_csv")
    parser.add_argument("rows", type=int)
    parser.add_argument("out", type=Path)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--case-rate", type=float, default=0.01)
    args = parser.parse_args()
    write_csv(args.out, args.rows, args.seed, args.case_rate)


if __name__ == "__main__":
    main()
