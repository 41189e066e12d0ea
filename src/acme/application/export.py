"""Export the catalog as CSV, in the shape the importer reads back."""

from __future__ import annotations

import csv
from collections.abc import Callable
from typing import TextIO

from acme.application.ports import UnitOfWork

EXPORT_COLUMNS = ("name", "sku", "description", "active")


def export_products(
    uow_factory: Callable[[], UnitOfWork], out: TextIO, batch_size: int = 1_000
) -> int:
    """Write every product to ``out`` (a text stream opened with ``newline=""``) as CSV with
    the header ``name,sku,description,active``; return how many were written.

    Rows are streamed from one read (one snapshot of the catalog), so memory stays bounded.
    Fields are quoted when they need it (commas, quotes, newlines), text is written as is
    (UTF-8 is the stream's business) and ``active`` is ``true``/``false``, so the file
    imports back unchanged.
    """
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(EXPORT_COLUMNS)
    written = 0
    with uow_factory() as uow:
        for product in uow.products.stream(batch_size):
            writer.writerow(
                [product.name, product.sku, product.description, str(product.active).lower()]
            )
            written += 1
    return written
