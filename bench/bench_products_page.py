"""Products page at catalog scale (`python -m bench products_page [--rows N]`).

On a scratch PostgreSQL database (created and dropped here) seeded with N products by COPY:
1. server latency of the list/filter requests a typing user sends (p50/p95/max per kind),
2. in Chromium, the time from the debounced request's start to rendered rows, and from the
   last keystroke to rendered rows (includes the 250 ms debounce),
3. delete all: a plain MVCC ``DELETE`` (timed, then rolled back, so the catalog stays) beside
   the shipped ``DELETE /api/products?confirm=true`` (TRUNCATE path), each with the latency of
   concurrent ``GET /api/products`` requests while it runs.

Admin connection: ACME_TEST_DATABASE_URL (default: the local server's ``postgres`` database).
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import httpx
import psycopg
from sqlalchemy.engine import make_url
from tests.databases import postgres_database
from tests.servers import served

from acme.domain.sku import sku_key
from bench._browser import wait_js

ADMIN_URL = os.environ.get(
    "ACME_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
COLOURS = [
    "red",
    "blue",
    "green",
    "black",
    "white",
    "silver",
    "golden",
    "orange",
    "purple",
    "yellow",
    "grey",
    "navy",
]
THINGS = [
    "widget",
    "gadget",
    "hammer",
    "drill",
    "lamp",
    "chair",
    "table",
    "cable",
    "router",
    "screen",
    "kettle",
    "pump",
]
WORDS = [
    "steel",
    "aluminium",
    "compact",
    "portable",
    "wireless",
    "heavy",
    "duty",
    "solar",
    "battery",
    "powered",
    "ergonomic",
    "waterproof",
    "premium",
    "classic",
    "outdoor",
    "indoor",
    "industrial",
    "kitchen",
    "garden",
    "office",
    "travel",
    "rechargeable",
    "adjustable",
    "lightweight",
    "durable",
    "modern",
    "vintage",
    "professional",
]


def _psycopg_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def seed(url: str, rows: int) -> float:
    """COPY ``rows`` products in; secondary indexes are dropped first and rebuilt in bulk."""
    rng = random.Random(42)
    started = time.perf_counter()
    now = datetime.now(UTC)
    with psycopg.connect(_psycopg_dsn(url)) as conn:
        indexes = conn.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'products'"
            " AND indexname NOT IN ('products_pkey', 'products_sku_key_uq')"
        ).fetchall()
        for index_name, _ in indexes:
            conn.execute(f'DROP INDEX "{index_name}"')
        columns = "sku, sku_key, name, description, active, created_at, updated_at"
        with conn.cursor().copy(f"COPY products ({columns}) FROM STDIN") as copy:
            for i in range(rows):
                sku = f"{rng.choice(THINGS)[:3].upper()}-{i:07d}"
                name = f"{rng.choice(COLOURS).title()} {rng.choice(WORDS)} {rng.choice(THINGS)}"
                description = " ".join(rng.choices(WORDS, k=rng.randint(6, 30)))
                copy.write_row((sku, sku_key(sku), name, description, rng.random() > 0.1, now, now))
        for _, definition in indexes:
            conn.execute(definition)
        conn.commit()
        conn.autocommit = True
        conn.execute("VACUUM ANALYZE products")
    return time.perf_counter() - started


@contextmanager
def serve(url: str) -> Iterator[str]:
    workdir = Path(tempfile.mkdtemp(prefix="acme-bench-pp-"))
    try:
        with served(url, workdir) as server:
            yield server.url
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:7.1f} ms"


# What a person types into each filter; every prefix of 2+ characters is a request a user who
# pauses (past the debounce) could send.
TYPED: dict[str, list[dict[str, str]]] = {
    "sku": [{"sku": "wid-00012"}, {"sku": "lam-0049"}, {"sku": "-0000"}],
    "name": [{"name": "blue widget"}, {"name": "golden solar"}, {"name": "kettle"}],
    "description": [{"description": "waterproof premium"}, {"description": "vintage"}],
    "combined": [
        {"name": "blue", "description": "solar", "active": "true"},
        {"sku": "ham", "name": "red", "active": "false"},
    ],
}


def typing_requests() -> list[tuple[str, dict[str, str]]]:
    out: list[tuple[str, dict[str, str]]] = []
    for kind, cases in TYPED.items():
        for case in cases:
            if kind == "combined":
                out.append((kind, case))
                continue
            (field, value), *_ = case.items()
            for end in range(2, len(value) + 1):
                out.append((kind, {field: value[:end]}))
    return out


def measure_filters(base: str, rounds: int = 2) -> dict[str, list[float]]:
    timings: dict[str, list[float]] = {}
    requests = typing_requests()
    extra = [
        ("unfiltered page 1", {}),
        ("deep page (page 5000)", {"page": "5000"}),
        ("active=false", {"active": "false"}),
    ]
    with httpx.Client(base_url=base, timeout=60) as client:
        client.get("/api/products")  # warm-up
        for _ in range(rounds):
            for kind, params in requests + extra:
                started = time.perf_counter()
                client.get("/api/products", params={**params, "page_size": "50"}).raise_for_status()
                timings.setdefault(kind, []).append(time.perf_counter() - started)
    return timings


def measure_browser(base: str) -> list[tuple[str, float, float]]:
    """(term, debounced request start -> rendered, last keystroke -> rendered) per sample."""
    from playwright.sync_api import sync_playwright

    terms = ["blue widget", "wid-0001", "solar pump", "kettle", "vintage lamp", "red drill"]
    samples: list[tuple[str, float, float]] = []
    executable = shutil.which("chromium") or "/usr/bin/chromium"
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=executable, headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        page = browser.new_page()
        page.goto(f"{base}/products")
        wait_js(page, "performance.getEntriesByName('products-load').length > 0")
        box = page.locator("#filter-name")
        box.evaluate(  # the bench's own probe: when did the last keystroke land?
            "el => el.addEventListener('input', () => { window.lastInputAt = performance.now(); })"
        )
        for term in terms:
            page.evaluate("performance.clearMeasures('products-load')")
            box.click()
            page.keyboard.type(term, delay=60)  # faster than the debounce: one request
            wait_js(
                page,
                "performance.getEntriesByName('products-load').length > 0"
                " && document.getElementById('table-wrap').getAttribute('aria-busy') === 'false'",
            )
            entry = page.evaluate(
                "(() => { const e = performance.getEntriesByName('products-load').at(-1);"
                " return [e.duration, e.startTime + e.duration - window.lastInputAt]; })()"
            )
            samples.append((term, entry[0] / 1000, entry[1] / 1000))
            box.fill("")
            wait_js(
                page,
                "document.getElementById('table-wrap').getAttribute('aria-busy') === 'false'"
                " && !location.search.includes('name=')",
            )
        browser.close()
    return samples


@contextmanager
def concurrent_reads(base: str, threads: int = 2) -> Iterator[list[tuple[float, float, int]]]:
    """GET /api/products in a loop on ``threads`` threads; yields (start, duration, status)."""
    results: list[tuple[float, float, int]] = []
    stop = threading.Event()

    def worker(params: dict[str, str]) -> None:
        with httpx.Client(base_url=base, timeout=60) as client:
            while not stop.is_set():
                started = time.perf_counter()
                try:
                    status = client.get("/api/products", params=params).status_code
                except httpx.HTTPError:
                    status = 0
                results.append((started, time.perf_counter() - started, status))

    pool = [
        threading.Thread(target=worker, args=(params,), daemon=True)
        for params in ({"page_size": "50"}, {"name": "blue", "page_size": "50"})[:threads]
    ]
    for t in pool:
        t.start()
    time.sleep(0.5)  # steady state before the delete starts
    try:
        yield results
    finally:
        time.sleep(0.3)
        stop.set()
        for t in pool:
            t.join()


def timed_under_load(
    base: str, action: Callable[[], object]
) -> tuple[float, list[float], int, list[float]]:
    """Run ``action`` while readers run; return its duration, reads overlapping it, errors,
    and the reads before it (the baseline)."""
    with concurrent_reads(base) as reads:
        started = time.perf_counter()
        action()
        ended = time.perf_counter()
    during = [d for s, d, _ in reads if s < ended and s + d > started]
    before = [d for s, d, _ in reads if s + d <= started]
    errors = sum(1 for s, d, code in reads if s < ended and s + d > started and code != 200)
    return ended - started, during, errors, before


def _rows_deleted(url: str) -> int:
    with psycopg.connect(_psycopg_dsn(url)) as conn:
        row = conn.execute(
            "SELECT n_tup_del FROM pg_stat_user_tables WHERE relname = 'products'"
        ).fetchone()
    return int(row[0]) if row else 0


def plain_delete_rolled_back(url: str) -> Callable[[], object]:
    def action() -> int:
        with psycopg.connect(_psycopg_dsn(url)) as conn:
            deleted = conn.execute("DELETE FROM products").rowcount
            conn.rollback()
        return deleted

    return action


def run(args: argparse.Namespace) -> None:
    rows = int(getattr(args, "rows", 500_000))
    with postgres_database("acme_bench_pp") as url:
        print(f"seeding {rows:,} products by COPY (indexes rebuilt in bulk) ...", flush=True)
        print(f"  seeded in {seed(url, rows):.1f} s", flush=True)
        with serve(url) as base:
            print("\nfilter requests as a typing user sends them (server round trip, loopback):")
            timings = measure_filters(base)
            every: list[float] = []
            for kind, values in timings.items():
                every += values
                print(
                    f"  {kind:24s} n={len(values):3d}  p50 {ms(statistics.median(values))}"
                    f"  p95 {ms(pct(values, 0.95))}  max {ms(max(values))}"
                )
            print(f"  {'ALL':24s} n={len(every):3d}  p95 {ms(pct(every, 0.95))}  (target < 50 ms)")

            print("\nChromium: debounced request start -> rendered rows (target < 150 ms):")
            samples = measure_browser(base)
            for term, to_render, from_key in samples:
                print(
                    f"  {term!r:16s} request->rendered {ms(to_render)}"
                    f"   last keystroke->rendered {ms(from_key)} (includes 250 ms debounce)"
                )
            rendered = [s[1] for s in samples]
            print(
                f"  median {ms(statistics.median(rendered))}  max {ms(max(rendered))}"
                f"  (n={len(rendered)})"
            )

            print(f"\ndelete all {rows:,} products, with 2 threads reading GET /api/products:")
            base_delete = timed_under_load(base, plain_delete_rolled_back(url))
            with httpx.Client(base_url=base, timeout=120) as client:
                count = client.get(
                    "/api/products", params={"page_size": 1, "count": "exact"}
                ).json()["total"]
                assert count == rows, f"rollback left {count} rows"

                def shipped() -> object:
                    response = client.delete("/api/products", params={"confirm": "true"})
                    response.raise_for_status()
                    return response.json()

                time.sleep(1.5)  # let the rolled-back DELETE's statistics land first
                deletes_before = _rows_deleted(url)
                new = timed_under_load(base, shipped)
                left = client.get(
                    "/api/products", params={"page_size": 1, "count": "exact"}
                ).json()["total"]
                time.sleep(1.5)  # table statistics are flushed asynchronously
                path = "DELETE fallback" if _rows_deleted(url) > deletes_before else "TRUNCATE"
            for label, (duration, during, errors, before) in (
                ("plain DELETE (rolled back)", base_delete),
                ("shipped delete_all (HTTP)", new),
            ):
                print(
                    f"  {label:28s} {ms(duration)}   concurrent GETs during it: n={len(during)}"
                    f" p95 {ms(pct(during, 0.95))} max {ms(max(during, default=float('nan')))}"
                    f" errors={errors}   (GETs before: p95 {ms(pct(before, 0.95))})"
                )
            print(
                f"  ratio plain/shipped: {base_delete[0] / new[0]:.1f}x;"
                f" products left after the shipped delete: {left}; path taken: {path}"
            )
