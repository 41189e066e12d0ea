"""Rejected rows are all kept when they are flushed at several progress checkpoints (a
long import): found by the end-to-end errors.csv test through a real worker."""

from __future__ import annotations

import itertools

from acme.application.csv_import import run_import
from acme.domain.import_job import ImportJob, ImportStatus
from tests.fakes import FakeClock, FakeFileStorage, FakeStore, FakeUnitOfWork


def test_every_rejected_row_is_stored_when_errors_are_flushed_more_than_once() -> None:
    store, storage, clock = FakeStore(), FakeFileStorage(), FakeClock()
    records, every = 2_500, 250
    lines = ["sku,name"] + [
        f"S-{i}," + ("" if i % every == 0 else f"n{i}") for i in range(1, records + 1)
    ]
    storage.write("imports/x", ["\n".join(lines).encode()])
    job = ImportJob("x.csv", "imports/x", storage.size("imports/x") or 0, clock.now())
    with FakeUnitOfWork(store) as uow:
        uow.imports.add(job)
        uow.commit()
    ticks = itertools.count(step=10.0)  # every checkpoint is due: errors flushed repeatedly

    done = run_import(
        job.id,
        uow_factory=lambda: FakeUnitOfWork(store),
        storage=storage,
        clock=clock,
        monotonic=lambda: float(next(ticks)),
    )
    assert done.status is ImportStatus.COMPLETED
    stored = [e.line for e in store.imports.iter_errors(job.id)]
    assert stored == [i + 1 for i in range(every, records + 1, every)]
    assert done.invalid == len(stored)
