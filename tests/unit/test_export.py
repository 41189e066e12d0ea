"""Exporting the catalog to CSV, on the fakes: what a CSV reader gets back."""

from __future__ import annotations

import csv
import io

from acme.application.export import export_products
from tests.fakes import FakeStore, FakeUnitOfWork, fake_product

TRICKY = [
    fake_product(sku="A-1", name='Chair, "oak"', description="line one\nline two\r\nthree"),
    fake_product(sku="ß-２", name="Größe 𝔘nicode ✓", description="", active=False),
    fake_product(sku="C,3", name="  padded  ", description=' "quoted" , ; \t tab'),
]


def export(store: FakeStore) -> tuple[int, str]:
    out = io.StringIO(newline="")
    count = export_products(lambda: FakeUnitOfWork(store), out, batch_size=2)
    return count, out.getvalue()


def test_export_round_trips_through_a_csv_reader() -> None:
    store = FakeStore()
    for product in TRICKY:
        store.products.add(product)
    count, text = export(store)
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert count == 3
    assert rows[0] == ["name", "sku", "description", "active"]
    assert rows[1:] == [
        ['Chair, "oak"', "A-1", "line one\nline two\r\nthree", "true"],
        ["Größe 𝔘nicode ✓", "ß-２", "", "false"],
        ["padded", "C,3", ' "quoted" , ; \t tab', "true"],
    ]
    assert text.startswith("name,sku,description,active\r\n")


def test_an_empty_catalog_is_just_the_header() -> None:
    assert export(FakeStore()) == (0, "name,sku,description,active\r\n")
