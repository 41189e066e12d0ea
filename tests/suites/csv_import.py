"""run_import tests, run against the fakes (tests/unit) and the real SQL adapters on SQLite and
PostgreSQL (tests/integration). Each test takes:

- ``uow_factory``: a callable returning a fresh UnitOfWork on an empty catalog
- ``storage``: a FileStorage to put the CSV in
- ``published``: a callable returning the event types committed so far, oldest first
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any, BinaryIO

import pytest

from acme.application import products as product_uc
from acme.application.csv_import import run_import
from acme.application.ports import FileStorage, ProductFilter, UnitOfWork
from acme.domain.import_job import ImportJob, ImportStatus
from tests.fakes import FakeClock

UowFactory = Callable[[], UnitOfWork]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def submit(uow_factory: UowFactory, storage: FileStorage, clock: FakeClock, data: bytes) -> str:
    key = f"uploads/{len(data)}-{clock.now().timestamp()}.csv"
    size = storage.write(key, [data])
    job = ImportJob(
        filename="products.csv", storage_key=key, bytes_total=size, created_at=clock.now()
    )
    with uow_factory() as uow:
        uow.imports.add(job)
        uow.commit()
    return job.id


def do_import(
    uow_factory: UowFactory, storage: FileStorage, clock: FakeClock, data: bytes, **kw: Any
) -> ImportJob:
    job_id = submit(uow_factory, storage, clock, data)
    return run_import(job_id, uow_factory=uow_factory, storage=storage, clock=clock, **kw)


def catalog(uow_factory: UowFactory) -> dict[str, tuple[str, str, str, bool]]:
    page = product_uc.list_products(uow_factory, ProductFilter(), page=1, page_size=500)
    return {p.key: (p.sku, p.name, p.description, p.active) for p in page.items}


def stored_job(uow_factory: UowFactory, job_id: str) -> ImportJob:
    with uow_factory() as uow:
        job = uow.imports.get(job_id)
    assert job is not None
    return job


def errors_of(uow_factory: UowFactory, job_id: str) -> list[tuple[int, str, str]]:
    with uow_factory() as uow:
        return [(e.line, e.sku, e.column) for e in uow.imports.iter_errors(job_id)]


SIMPLE = (
    "\ufeffSKU , Name,description\r\n"
    'A-1,Chair,"Oak, four legs\nsecond line"\r\n'
    "b-2,Table,Pine\r\n"
    'c-3,Lamp,"says ""hi"""\r\n'
).encode()


def test_fresh_import_creates_products_and_publishes_one_event(
    uow_factory: UowFactory,
    storage: FileStorage,
    clock: FakeClock,
    published: Callable[[], list[str]],
) -> None:
    job = do_import(uow_factory, storage, clock, SIMPLE)
    assert job.status is ImportStatus.COMPLETED, job.error
    assert (job.rows_total, job.created, job.updated, job.unchanged, job.invalid) == (3, 3, 0, 0, 0)
    assert job.percent == 100.0 and job.bytes_done == len(SIMPLE)
    assert catalog(uow_factory) == {
        "a-1": ("A-1", "Chair", "Oak, four legs\nsecond line", True),
        "b-2": ("b-2", "Table", "Pine", True),
        "c-3": ("c-3", "Lamp", 'says "hi"', True),
    }
    assert published() == ["import.completed"]
    assert stored_job(uow_factory, job.id) == job


def test_reimport_of_the_same_file_changes_nothing(
    uow_factory: UowFactory, storage: FileStorage, clock: FakeClock
) -> None:
    do_import(uow_factory, storage, clock, SIMPLE)
    before = product_uc.list_products(uow_factory, ProductFilter(), page=1, page_size=10).items
    job = do_import(uow_factory, storage, clock, SIMPLE)
    assert (job.created, job.updated, job.unchanged) == (0, 0, 3)
    after = product_uc.list_products(uow_factory, ProductFilter(), page=1, page_size=10).items
    assert [(p.id, p.updated_at) for p in after] == [(p.id, p.updated_at) for p in before]


def test_last_row_per_case_insensitive_sku_wins_and_keeps_its_casing(
    uow_factory: UowFactory, storage: FileStorage, clock: FakeClock
) -> None:
    data = b"sku,name\nabc,First\nX,Other\nABC,Second\nAbc,Third\n"
    job = do_import(uow_factory, storage, clock, data)
    assert (job.rows_total, job.created, job.duplicates_in_file) == (4, 2, 2)
    assert catalog(uow_factory)["abc"] == ("Abc", "Third", "", True)


def test_only_the_last_row_per_sku_decides_whether_a_product_changes(
    uow_factory: UowFactory, storage: FileStorage, clock: FakeClock
) -> None:
    do_import(uow_factory, storage, clock, b"sku,name\na,A\nb,B\n")
    # a: an earlier row differs, the last one matches (unchanged); b: the reverse (updated).
    job = do_import(uow_factory, storage, clock, b"sku,name\na,Other\nb,B\na,A\nb,New\n")
    assert (job.created, job.updated, job.unchanged, job.duplicates_in_file) == (0, 1, 1, 2)
    assert catalog(uow_factory) == {"a": ("a", "A", "", True), "b": ("b", "New", "", True)}


def test_existing_products_are_updated_recased_and_keep_columns_the_file_lacks(
    uow_factory: UowFactory, storage: FileStorage, clock: FakeClock
) -> None:
    do_import(uow_factory, storage, clock, b"sku,name,description,active\nk-1,One,Keep me,no\n")
    job = do_import(uow_factory, storage, clock, b"name,sku\nUno,K-1\nNew,n-2\n")
    assert (job.created, job.updated, job.unchanged) == (1, 1, 0)
    assert catalog(uow_factory) == {
        "k-1": ("K-1", "Uno", "Keep me", False),
        "n-2": ("n-2", "New", "", True),
    }
    job = do_import(uow_factory, storage, clock, b"sku,name,active,description\nK-1,Uno, YES ,\n")
    assert (job.created, job.updated, job.unchanged) == (0, 1, 0)
    assert catalog(uow_factory)["k-1"] == ("K-1", "Uno", "", True)


def test_bad_rows_are_reported_with_their_physical_line_and_the_rest_import(
    uow_factory: UowFactory, storage: FileStorage, clock: FakeClock
) -> None:
    data = (
        b"sku,name,description,active,colour\r\n"  # line 1
        b'ok-1,Fine,"two\r\nlines",true,red\r\n'  # lines 2-3
        b",No sku,,,\r\n"  # line 4
        b'bad-2,,"x\ny\nz",maybe,\r\n'  # lines 5-7
        b"ok-2,Also fine,,0,blue\r\n"  # line 8
    )
    job = do_import(uow_factory, storage, clock, data)
    assert job.status is ImportStatus.COMPLETED
    assert (job.rows_total, job.created, job.invalid) == (4, 2, 2)
    assert job.warnings == ["unknown column 'colour' ignored"]
    assert errors_of(uow_factory, job.id) == [
        (4, "", "sku"),
        (5, "bad-2", "name"),
        (5, "bad-2", "active"),
    ]
    assert set(catalog(uow_factory)) == {"ok-1", "ok-2"}
    assert catalog(uow_factory)["ok-2"][3] is False


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"name,description\nx,y\n", "Line 1: missing required column 'sku'"),
        (b"", "Line 1: the file is empty (a header row is required)"),
        (b"sku,name\na,b\nc,d\xff\xfe\n", "Line 3: the file is not valid UTF-8 text"),
        (b'sku,name\n"a",b\n"c"x,d\n', "Line 3: malformed CSV"),
        (b'sku,name\na,b\n"c,d\n', "Line 3: a quoted field is never closed"),
    ],
)
def test_unreadable_file_fails_naming_the_line_and_changes_nothing(
    uow_factory: UowFactory,
    storage: FileStorage,
    clock: FakeClock,
    published: Callable[[], list[str]],
    data: bytes,
    message: str,
) -> None:
    do_import(uow_factory, storage, clock, b"sku,name\nkeep,Kept\n")
    job = do_import(uow_factory, storage, clock, data)
    assert job.status is ImportStatus.FAILED
    assert job.error is not None and job.error.startswith(message), job.error
    assert catalog(uow_factory) == {"keep": ("keep", "Kept", "", True)}
    assert published() == ["import.completed", "import.failed"]
    assert stored_job(uow_factory, job.id).status is ImportStatus.FAILED


class _WatchedStorage(FileStorage):
    """Delegates to ``inner``, counts the files opened, and calls ``before_read`` before
    every read of one (which returns how many bytes to read)."""

    def __init__(self, inner: FileStorage) -> None:
        self.inner = inner
        self.opened = 0

    def write(self, key: str, chunks: Any) -> int:
        return self.inner.write(key, chunks)

    def append(self, key: str, offset: int, data: bytes) -> int:
        return self.inner.append(key, offset, data)

    def size(self, key: str) -> int | None:
        return self.inner.size(key)

    def delete(self, key: str) -> None:
        self.inner.delete(key)

    def before_read(self, n: int) -> int:
        return n

    def open(self, key: str) -> BinaryIO:
        self.opened += 1
        stream = self.inner.open(key)
        watcher = self

        class _Stream:
            def read(self, n: int = -1) -> bytes:
                return stream.read(watcher.before_read(n))

            def close(self) -> None:
                stream.close()

        return _Stream()  # type: ignore[return-value]


class _CancellingStorage(_WatchedStorage):
    """Asks for the job's cancellation at the first read, then reads in small pieces."""

    def __init__(self, inner: FileStorage, uow_factory: UowFactory, clock: FakeClock) -> None:
        super().__init__(inner)
        self.uow_factory, self.clock = uow_factory, clock
        self.job_id = ""

    def before_read(self, n: int) -> int:
        with self.uow_factory() as uow:
            job = uow.imports.get(self.job_id)
            if job is not None and not job.cancel_requested:
                job.request_cancel(self.clock.now())
                uow.imports.update(job)
                uow.commit()
        return min(n, 4096) if n > 0 else 4096


def run_cancelled(
    uow_factory: UowFactory, storage: FileStorage, clock: FakeClock, rows: int = 3000
) -> ImportJob:
    """Import a file of ``rows`` products whose cancellation is asked for while it is read."""
    data = b"sku,name\n" + b"".join(b"s-%d,Name %d\n" % (i, i) for i in range(rows))
    cancelling = _CancellingStorage(storage, uow_factory, clock)
    cancelling.job_id = submit(uow_factory, cancelling, clock, data)
    return run_import(
        cancelling.job_id,
        uow_factory=uow_factory,
        storage=cancelling,
        clock=clock,
        progress_interval=0.0,
    )


def test_cancelled_import_changes_nothing(
    uow_factory: UowFactory,
    storage: FileStorage,
    clock: FakeClock,
    published: Callable[[], list[str]],
) -> None:
    do_import(uow_factory, storage, clock, b"sku,name\nkeep,Kept\n")
    job = run_cancelled(uow_factory, storage, clock)
    assert job.status is ImportStatus.CANCELLED
    assert stored_job(uow_factory, job.id).status is ImportStatus.CANCELLED
    assert catalog(uow_factory) == {"keep": ("keep", "Kept", "", True)}
    assert published() == ["import.completed"]


def test_progress_is_recorded_while_reading(
    uow_factory: UowFactory, storage: FileStorage, clock: FakeClock
) -> None:
    data = b"sku,name\n" + b"".join(b"p-%d,Name %d\n" % (i, i) for i in range(2500))
    seen: list[tuple[str, float, int]] = []
    flags: dict[str, list[bool]] = {"progress": [], "outcome": []}  # durable= per commit
    job_id = submit(uow_factory, storage, clock, data)

    def spying_factory() -> UnitOfWork:
        uow = uow_factory()
        original = uow.commit

        def commit(*, durable: bool = True) -> None:
            job = uow.imports.get(job_id) if hasattr(uow, "imports") else None
            original(durable=durable)
            if job is not None and job.status is ImportStatus.RUNNING:
                seen.append((job.phase.value, job.percent, job.rows_done))
                flags["progress"].append(durable)
            elif job is not None and job.finished:
                flags["outcome"].append(durable)

        uow.commit = commit  # type: ignore[method-assign]
        return uow

    job = run_import(
        job_id, uow_factory=spying_factory, storage=storage, clock=clock, progress_interval=0.0
    )
    assert job.status is ImportStatus.COMPLETED and job.created == 2500
    parsing = [s for s in seen if s[0] == "parsing"]
    assert [rows for _, _, rows in parsing] == [0, 1024, 2048]  # started, then every 1024
    assert all(0 < pct < 100 for _, pct, _ in seen[1:])
    assert seen[-1][0] == "merging" and seen[-1][2] == 2500
    assert [pct for _, pct, _ in seen] == sorted(pct for _, pct, _ in seen)
    # Claiming the job and its outcome wait for the disk; the progress between does not.
    claim, *progress = flags["progress"]
    assert claim is True and progress and not any(progress)
    assert flags["outcome"] == [True]


def test_a_finished_job_is_not_run_again(
    uow_factory: UowFactory, storage: FileStorage, clock: FakeClock
) -> None:
    job = do_import(uow_factory, storage, clock, SIMPLE)
    again = run_import(job.id, uow_factory=uow_factory, storage=storage, clock=clock)
    assert again.status is ImportStatus.COMPLETED and again.created == 3
    assert len(catalog(uow_factory)) == 3


class _GatedStorage(_WatchedStorage):
    """Holds every read until ``release`` is set."""

    def __init__(self, inner: FileStorage) -> None:
        super().__init__(inner)
        self.release = threading.Event()

    def before_read(self, n: int) -> int:
        self.release.wait(timeout=30)
        return n


def test_a_job_running_in_another_worker_is_not_started_again(
    uow_factory: UowFactory,
    storage: FileStorage,
    clock: FakeClock,
    published: Callable[[], list[str]],
) -> None:
    gated = _GatedStorage(storage)
    job_id = submit(uow_factory, gated, clock, SIMPLE)
    first: list[ImportJob] = []
    worker = threading.Thread(
        target=lambda: first.append(
            run_import(job_id, uow_factory=uow_factory, storage=gated, clock=clock)
        )
    )
    worker.start()
    try:
        for _ in range(500):  # the first worker has claimed the job and is reading the file
            if gated.opened and stored_job(uow_factory, job_id).status is ImportStatus.RUNNING:
                break
            time.sleep(0.01)
        # A duplicate delivery of the same job to a second worker: the job is left alone.
        second = run_import(job_id, uow_factory=uow_factory, storage=gated, clock=clock)
        assert (second.status, second.attempts, gated.opened) == (ImportStatus.RUNNING, 1, 1)
    finally:
        gated.release.set()
        worker.join(timeout=60)
    assert first and first[0].status is ImportStatus.COMPLETED
    assert (first[0].attempts, first[0].created) == (1, 3)
    assert published() == ["import.completed"]


def test_a_job_left_running_by_a_dead_worker_is_started_afresh(
    uow_factory: UowFactory, storage: FileStorage, clock: FakeClock
) -> None:
    job_id = submit(uow_factory, storage, clock, SIMPLE)
    with uow_factory() as uow:  # a worker claimed it, then died without a word
        job = uow.imports.get(job_id, for_update=True)
        assert job is not None
        job.start(clock.now())
        uow.imports.update(job)
        uow.commit()
    clock.current += timedelta(seconds=121)
    job = run_import(job_id, uow_factory=uow_factory, storage=storage, clock=clock)
    assert (job.status, job.attempts, job.created) == (ImportStatus.COMPLETED, 2, 3)


#: Two files with the same 3,000 SKUs in other cases and the opposite order, plus one more.
OVERLAPPING_FILES = (
    b"sku,name\n" + b"".join(b"S-%d,first %d\n" % (i, i) for i in range(0, 3000)),
    b"sku,name\n" + b"".join(b"s-%d,second %d\n" % (i, i) for i in range(3000, 0, -1)),
)


def import_at_once(
    uow_factory: UowFactory, storage: FileStorage, files: tuple[bytes, ...]
) -> dict[str, ImportStatus]:
    """Submit ``files``, run their imports on as many threads at once, return each status."""
    clock = FakeClock()
    job_ids = [submit(uow_factory, storage, clock, data) for data in files]
    results: dict[str, ImportStatus] = {}

    def work(job_id: str) -> None:
        job = run_import(job_id, uow_factory=uow_factory, storage=storage, clock=FakeClock())
        results[job_id] = job.status

    threads = [threading.Thread(target=work, args=(j,)) for j in job_ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return {j: results.get(j, ImportStatus.RUNNING) for j in job_ids}
