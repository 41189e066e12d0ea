"""Import benchmark: our import beside the anchor strategies, on the same PostgreSQL and file.

    python -m bench import [--rows 500000]

Measured in one run, on scratch databases created and dropped here:
- fresh import into an empty catalog (ending with every index of the live table), timed in a
  separate worker process, and re-import of the same file (nothing changes); each timed alone,
  like the anchors;
- the same two imports once more while a second process reads ``GET /api/products`` from a
  running ``acme serve``, for the read latencies during an import, then a third import of
  another generated file (nearly every SKU new: the table swap, rebuilding every index while
  the readers read the old table);
- the anchors from ``shared/bench/baseline_bench.py`` (``copy_limit``, ``best_peer``; more with
  ACME_BENCH_ANCHORS=copy_limit,copy_upsert,best_peer_as_is,best_peer,orm_chunks) when that
  folder exists (``../shared/bench`` beside the repository, or /work/shared/bench);
- peak worker memory at 100k and 1M rows (ACME_BENCH_MEMORY=0 skips it);
- ACME_BENCH_ROUNDS (default 3) alternating rounds of ours and the anchors, since the load on
  a shared machine changes from minute to minute; each round's pair gives a ratio.
The CSV comes from this project's own generator (bench/gen_csv.py), cached under var/bench/.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

from tests.databases import postgres_database
from tests.servers import served

from bench.gen_csv import write_csv

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "var" / "bench"
ADMIN_URL = os.environ.get(
    "ACME_BENCH_ADMIN_URL",
    os.environ.get(
        "ACME_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    ),
)


def csv_file(rows: int, seed: int = 7) -> Path:
    """The generated file of ``rows`` records; another ``seed`` gives other products (the
    same SKU numbers with other words: nearly every SKU new)."""
    path = DATA / (f"products-{rows}.csv" if seed == 7 else f"products-{rows}-seed{seed}.csv")
    if not path.exists():
        print(f"generating {path.name} ...", flush=True)
        write_csv(path, rows, seed=seed)
    return path


def baseline_module() -> ModuleType | None:
    for folder in (ROOT.parent / "shared" / "bench", Path("/work/shared/bench")):
        path = folder / "baseline_bench.py"
        if path.exists():
            spec = importlib.util.spec_from_file_location("baseline_bench", path)
            assert spec and spec.loader
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            return module
    return None


def run_anchors(path: Path) -> dict[str, float]:
    module = baseline_module()
    if module is None:
        print("anchors: shared/bench/baseline_bench.py not found, skipped", flush=True)
        return {}
    from sqlalchemy import create_engine

    names = os.environ.get("ACME_BENCH_ANCHORS", "copy_limit,best_peer").split(",")
    results: dict[str, float] = {}
    with postgres_database("acme_bench", migrate=False) as url:
        engine = create_engine(url)
        try:
            for name in names:
                module.reset(engine)
                started = time.perf_counter()
                getattr(module, name)(engine, str(path))
                results[name] = time.perf_counter() - started
                print(f"  anchor {name}: {results[name]:.2f} s", flush=True)
        finally:
            engine.dispose()
    return results


# --- the worker and reader processes -----------------------------------------------------


def peak_rss_mb() -> float:
    """This process's peak RSS. VmHWM, not ru_maxrss: Linux carries ru_maxrss over exec from
    the forked parent, so a child would report the bench runner's own peak."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def worker(url: str, path: Path) -> None:
    """Import ``path`` once through run_import and print the figures as JSON."""
    from acme.adapters.clock import SystemClock
    from acme.adapters.sqlalchemy.engine import build_engine
    from acme.adapters.sqlalchemy.uow import SqlUnitOfWork
    from acme.adapters.storage.local import LocalFileStorage
    from acme.application.csv_import import run_import
    from acme.domain.import_job import ImportJob

    engine = build_engine(url)
    clock = SystemClock()
    storage = LocalFileStorage(path.parent)
    job = ImportJob(
        filename=path.name,
        storage_key=path.name,
        bytes_total=path.stat().st_size,
        created_at=clock.now(),
    )
    writers: list[Any] = []

    def uow_factory() -> SqlUnitOfWork:
        uow = SqlUnitOfWork(engine)
        writers.append(uow)
        return uow

    with uow_factory() as uow:
        uow.imports.add(job)
        uow.commit()
    started = time.perf_counter()
    done = run_import(job.id, uow_factory=uow_factory, storage=storage, clock=clock)
    seconds = time.perf_counter() - started
    strategy = next(
        (
            w.bulk.last_strategy
            for w in writers
            if getattr(getattr(w, "bulk", None), "last_strategy", None)
        ),
        None,
    )
    engine.dispose()
    print(
        json.dumps(
            {
                "seconds": seconds,
                "status": done.status.value,
                "error": done.error,
                "rows": done.rows_total,
                "created": done.created,
                "updated": done.updated,
                "unchanged": done.unchanged,
                "duplicates": done.duplicates_in_file,
                "strategy": strategy,
                "peak_rss_mb": peak_rss_mb(),
            }
        ),
        flush=True,
    )


def reader(base_url: str, stop_file: Path) -> None:
    """GET /api/products until ``stop_file`` exists; print latency figures as JSON."""
    import httpx

    latencies: list[float] = []
    errors = 0
    paths = [
        "/api/products?page=1&page_size=50",
        "/api/products?page=1&page_size=50&description=wexjun",
    ]
    with httpx.Client(base_url=base_url, timeout=30) as client:
        i = 0
        while not stop_file.exists():
            started = time.perf_counter()
            try:
                ok = client.get(paths[i % len(paths)]).status_code == 200
            except httpx.HTTPError:
                ok = False
            latencies.append((time.perf_counter() - started) * 1000)
            errors += not ok
            i += 1
            time.sleep(0.02)
    latencies.sort()
    p95 = latencies[int(0.95 * (len(latencies) - 1))] if latencies else float("nan")
    print(
        json.dumps(
            {
                "requests": len(latencies),
                "errors": errors,
                "p50_ms": statistics.median(latencies) if latencies else float("nan"),
                "p95_ms": p95,
                "max_ms": latencies[-1] if latencies else float("nan"),
            }
        ),
        flush=True,
    )


@contextmanager
def api_server(url: str) -> Iterator[str]:
    with tempfile.TemporaryDirectory() as tmp, served(url, Path(tmp), ACME_API_TOKEN="") as live:
        yield live.url


def _child(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "bench.bench_import", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )


def import_with_reader(url: str, path: Path, base: str | None) -> tuple[dict[str, Any], Any]:
    stop = Path(tempfile.mkdtemp()) / "stop"
    read = _child("--reader", base, str(stop)) if base else None
    time.sleep(0.5)
    work = _child("--worker", url, str(path))
    out, _ = work.communicate()
    stop.touch()
    reads = json.loads(read.communicate()[0]) if read else None
    return json.loads(out), reads


# --- the benchmark -----------------------------------------------------------------------


def run(args: argparse.Namespace) -> None:
    rows = int(getattr(args, "rows", 500_000))
    path = csv_file(rows)
    print(f"file: {path.name}, {path.stat().st_size / 1e6:.1f} MB, {rows} records", flush=True)
    # Reads during the imports: a fresh import and a re-import with the reader running.
    with postgres_database("acme_bench") as url, api_server(url) as base:
        loaded_fresh, fresh_reads = import_with_reader(url, path, base)
        print(f"  ours fresh (reader running): {loaded_fresh}", flush=True)
        print(f"  reads during fresh import: {fresh_reads}", flush=True)
        loaded, again_reads = import_with_reader(url, path, base)
        print(f"  ours re-import (reader running): {loaded}", flush=True)
        print(f"  reads during re-import: {again_reads}", flush=True)
        # A large import into the full catalog: the swap, whose index builds take both
        # cores for tens of seconds while readers keep reading the old table.
        other = csv_file(rows, seed=8)
        swapped, swap_reads = import_with_reader(url, other, base)
        print(f"  ours changed import (reader running): {swapped}", flush=True)
        print(f"  reads during changed import: {swap_reads}", flush=True)
    # The timings: ours alone, like the anchors (which run with no reader), and side by side
    # in alternating rounds, since the load on a shared machine changes from minute to minute;
    # each round's pair gives a ratio.
    rounds = []
    for _ in range(int(os.environ.get("ACME_BENCH_ROUNDS", "3"))):
        with postgres_database("acme_bench") as url:
            fresh, _ = import_with_reader(url, path, None)
            again, _ = import_with_reader(url, path, None)
        print(f"  ours fresh: {fresh}", flush=True)
        print(f"  ours re-import: {again}", flush=True)
        anchors = run_anchors(path)
        rounds.append((fresh["seconds"], again["seconds"], anchors))
    memory: dict[int, float] = {}
    if os.environ.get("ACME_BENCH_MEMORY", "1") != "0":
        for n in (100_000, 1_000_000):
            with postgres_database("acme_bench") as url:
                result, _ = import_with_reader(url, csv_file(n), None)
                memory[n] = result["peak_rss_mb"]
                print(f"  memory at {n} rows: {memory[n]:.0f} MB ({result['seconds']:.1f} s)")

    print("\nfigure                          ours        anchor              ratio   target")
    for i, (fresh_s, again_s, anchor) in enumerate(rounds, 1):
        print(f"round {i}")
        _line(
            f"  fresh import {rows} rows (s)",
            fresh_s,
            anchor.get("best_peer"),
            "best_peer",
            "< 0.50",
        )
        _line(
            "  re-import unchanged (s)", again_s, anchor.get("copy_limit"), "copy_limit", "< 5.00"
        )
    fresh_ratios = [f / a["best_peer"] for f, _, a in rounds if a.get("best_peer")]
    again_ratios = [g / a["copy_limit"] for _, g, a in rounds if a.get("copy_limit")]
    if fresh_ratios:
        print(
            f"median ratio fresh / best_peer:      {statistics.median(fresh_ratios):.2f}   < 0.50"
        )
    if again_ratios:
        print(
            f"median ratio re-import / copy_limit: {statistics.median(again_ratios):.2f}   < 5.00"
        )
    print(f"fresh import with the reader running (s) {loaded_fresh['seconds']:.2f}")
    print(f"re-import with the reader running (s)    {loaded['seconds']:.2f}")
    print(
        f"changed import (s)                       {swapped['seconds']:.2f}"
        f"  ({swapped['rows']} rows: {swapped['created']} new, {swapped['updated']} updated,"
        f" strategy {swapped['strategy']})"
    )
    for label, reads in (
        ("fresh", fresh_reads),
        ("re-import", again_reads),
        ("changed", swap_reads),
    ):
        if reads:
            print(
                f"GET /api/products p95, {label:9} {reads['p95_ms']:8.1f} ms"
                f"  ({reads['requests']} requests, {reads['errors']} errors)   target < 100 ms"
            )
    if memory:
        small, large = memory[100_000], memory[1_000_000]
        print(
            f"peak worker RSS 100k / 1M       {small:.0f} / {large:.0f} MB"
            f"   ratio {large / small:.2f}   target < 200 MB and ratio <= 1.10"
        )


def _line(label: str, ours: float, anchor: float | None, name: str, target: str) -> None:
    if anchor:
        print(f"{label:30} {ours:7.2f}   {name:12} {anchor:7.2f}   {ours / anchor:6.2f}   {target}")
    else:
        print(f"{label:30} {ours:7.2f}   ({name} not measured)")


if __name__ == "__main__":
    if sys.argv[1] == "--worker":
        worker(sys.argv[2], Path(sys.argv[3]))
    elif sys.argv[1] == "--reader":
        reader(sys.argv[2], Path(sys.argv[3]))
