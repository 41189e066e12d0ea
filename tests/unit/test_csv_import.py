"""The shared run_import suite on the in-memory fakes, plus generated CSVs checked against a
simple reference model of the CSV rules."""

from __future__ import annotations

import csv
import io

from hypothesis import given, settings
from hypothesis import strategies as st

from acme.application.csv_import import run_import
from acme.domain.import_job import ImportJob, ImportStatus
from acme.domain.sku import sku_key
from tests.fakes import FakeClock, FakeFileStorage, FakeStore, FakeUnitOfWork
from tests.suites.csv_import import *  # noqa: F403

# --- generated files against a reference model -------------------------------------------

text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00\r"),
    max_size=12,
)
sku_base = st.sampled_from(["abc", "Ab-1", "x", "ÉTÉ", "straße", "ｆｕｌｌ", "k,1", 'q"t'])
recase = st.sampled_from([str, str.upper, str.lower, str.title])
record = st.tuples(
    st.tuples(sku_base, recase).map(lambda t: t[1](t[0])),
    st.sampled_from(["", " ", "Chair", "Ünïcode ✓", "multi\nline", 'a "quoted", name']),
    text,
    st.sampled_from(["true", "FALSE", " yes ", "0", "", "maybe"]),
)


def reference(
    before: dict[str, tuple[str, str, str, bool]],
    rows: list[tuple[str, str, str, str]],
    with_description: bool,
    with_active: bool,
) -> tuple[dict[str, tuple[str, str, str, bool]], dict[str, int]]:
    """The CSV rules, written as plainly as possible."""
    after = dict(before)
    winners: dict[str, tuple[str, str, str, bool | None]] = {}
    valid = invalid = 0
    for sku, name, description, active in rows:
        flag = active.strip().lower()
        bad = (
            not sku.strip()
            or not name.strip()
            or (with_active and flag not in {"", "true", "false", "1", "0", "yes", "no"})
            or any(c in sku.strip() for c in "\r\n\t")
        )
        if bad:
            invalid += 1
            continue
        valid += 1
        key = sku_key(sku)
        winners.pop(key, None)
        value = None if not with_active or not flag else flag in {"true", "1", "yes"}
        winners[key] = (sku.strip(), name.strip(), description, value)
    counts = {"created": 0, "updated": 0, "unchanged": 0, "invalid": invalid}
    for key, (sku, name, description, active) in winners.items():
        old = after.get(key)
        new = (
            sku,
            name,
            description if with_description else (old[2] if old else ""),
            active if active is not None else (old[3] if old else True),
        )
        counts["created" if old is None else "updated" if old != new else "unchanged"] += 1
        after[key] = new
    counts["duplicates_in_file"] = valid - len(winners)
    return after, counts


def encode(
    rows: list[tuple[str, str, str, str]],
    *,
    desc: bool,
    active: bool,
    crlf: bool = False,
    quote_all: bool = False,
    bom: bool = False,
) -> bytes:
    """Generated records as a CSV file, written by the csv module."""
    out = io.StringIO()
    writer = csv.writer(
        out,
        lineterminator="\r\n" if crlf else "\n",
        quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL,
    )
    header = ["Name ", " SKU"] + (["Description"] if desc else []) + (["ACTIVE"] if active else [])
    writer.writerow(header)
    for sku, name, description, flag in rows:
        writer.writerow([name, sku] + ([description] if desc else []) + ([flag] if active else []))
    return (b"\xef\xbb\xbf" if bom else b"") + out.getvalue().encode()


@settings(max_examples=150, deadline=None)
@given(
    first=st.lists(record, max_size=8),
    second=st.lists(record, max_size=12),
    with_description=st.booleans(),
    with_active=st.booleans(),
    bom=st.booleans(),
    crlf=st.booleans(),
    quote_all=st.booleans(),
)
def test_generated_csv_imports_to_what_the_reference_model_predicts(
    first: list[tuple[str, str, str, str]],
    second: list[tuple[str, str, str, str]],
    with_description: bool,
    with_active: bool,
    bom: bool,
    crlf: bool,
    quote_all: bool,
) -> None:
    store, storage, clock = FakeStore(), FakeFileStorage(), FakeClock()

    def uow_factory() -> FakeUnitOfWork:
        return FakeUnitOfWork(store)

    def run(data: bytes) -> ImportJob:
        key = f"f{clock.now().timestamp()}"
        storage.write(key, [data])
        job = ImportJob(
            filename="f.csv", storage_key=key, bytes_total=len(data), created_at=clock.now()
        )
        with uow_factory() as uow:
            uow.imports.add(job)
            uow.commit()
        return run_import(job.id, uow_factory=uow_factory, storage=storage, clock=clock)

    style = {"crlf": crlf, "quote_all": quote_all, "bom": bom}
    model, _ = reference({}, first, True, True)
    run(encode(first, desc=True, active=True, **style))
    expected, counts = reference(model, second, with_description, with_active)
    job = run(encode(second, desc=with_description, active=with_active, **style))
    assert job.status is ImportStatus.COMPLETED, job.error
    got = {p.key: (p.sku, p.name, p.description, p.active) for p in store.products.rows.values()}
    assert got == expected
    assert job.rows_total == len(second)
    assert {
        "created": job.created,
        "updated": job.updated,
        "unchanged": job.unchanged,
        "invalid": job.invalid,
        "duplicates_in_file": job.duplicates_in_file,
    } == counts
