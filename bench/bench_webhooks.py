"""Webhooks: (1) p95 latency of product create/update through the API with 5 enabled webhooks
whose receiver takes 3 s to answer, side by side with the same server setup and no webhooks;
(2) 10,000 events delivered to a fast local receiver.

Runs on SQLite (the embedded default) and, when reachable, on PostgreSQL
(``ACME_BENCH_DATABASE_URL`` or ``ACME_TEST_DATABASE_URL``: an admin URL; a throw-away
database is created and dropped).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
from sqlalchemy import create_engine, func, select
from tests.databases import postgres_database
from tests.servers import free_port, served

from acme.adapters.sqlalchemy.migrate import upgrade

REQUESTS_PER_SERVER = 1500
EVENTS = 10_000
SLOW_SECONDS = 3.0
ADMIN_URL = os.environ.get(
    "ACME_BENCH_DATABASE_URL",
    os.environ.get(
        "ACME_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    ),
)


@contextlib.contextmanager
def receiver(delay: float) -> Iterator[str]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "bench._receiver", str(port), str(delay)],
        stdout=subprocess.PIPE,
        cwd=Path(__file__).resolve().parents[1],
    )
    try:
        assert proc.stdout is not None
        proc.stdout.readline()
        deadline = time.monotonic() + 20
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{port}/count", timeout=1)
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}/hook"
    finally:
        proc.terminate()
        proc.wait(10)


def received(url: str) -> int:
    return int(httpx.get(url.replace("/hook", "/count"), timeout=5).text)


@contextlib.contextmanager
def sqlite_db(folder: Path) -> Iterator[str]:
    url = f"sqlite:///{folder / f'bench-{uuid.uuid4().hex[:8]}.db'}"
    upgrade(url)
    yield url


def postgres_available() -> bool:
    try:
        engine = create_engine(ADMIN_URL)
        with engine.connect():
            pass
        engine.dispose()
        return True
    except Exception:
        return False


@contextlib.contextmanager
def server(database_url: str, workdir: Path) -> Iterator[str]:
    with served(database_url, workdir, ACME_WEBHOOK_TIMEOUT_SECONDS="10") as live:
        yield live.url


def load() -> str:
    """The machine's load: these figures are only comparable on a similarly busy machine."""
    one, five, _ = os.getloadavg()
    return f"load average {one:.1f}/{five:.1f} on {os.cpu_count()} CPUs"


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[18]


def latency(
    kind: str,
    workdir: Path,
    make_db: contextlib.AbstractContextManager[str],
    make_db2: contextlib.AbstractContextManager[str],
) -> None:
    with contextlib.ExitStack() as stack:
        plain_db = stack.enter_context(make_db)
        hooked_db = stack.enter_context(make_db2)
        slow = stack.enter_context(receiver(SLOW_SECONDS))
        plain = stack.enter_context(server(plain_db, workdir))
        hooked = stack.enter_context(server(hooked_db, workdir))
        c = stack.enter_context(httpx.Client(timeout=30))
        for _ in range(5):
            r = c.post(
                f"{hooked}/api/webhooks",
                json={"url": slow, "events": ["product.created", "product.updated"]},
            )
            r.raise_for_status()
        targets = {"none": plain, "5 slow": hooked}
        times: dict[str, list[float]] = {label: [] for label in targets}
        ids: dict[str, list[int]] = {label: [] for label in targets}
        for warm in range(20):  # warm up both servers alike
            for base in targets.values():
                c.post(f"{base}/api/products", json={"sku": f"W{warm}", "name": "w"})
        for i in range(REQUESTS_PER_SERVER):
            # interleaved, so both servers see the same machine load
            for label, base in targets.items():
                started = time.perf_counter()
                if i % 2 == 0:
                    r = c.post(f"{base}/api/products", json={"sku": f"S{i}", "name": "n"})
                    ids[label].append(r.json()["id"])
                else:
                    r = c.patch(f"{base}/api/products/{ids[label][-1]}", json={"name": f"m{i}"})
                r.raise_for_status()
                times[label].append((time.perf_counter() - started) * 1000)
        got = received(slow)
    base_p95, hooked_p95 = p95(times["none"]), p95(times["5 slow"])
    print(
        f"[{kind}] API create/update p95 over {REQUESTS_PER_SERVER} requests each: "
        f"no webhooks {base_p95:.1f} ms, 5 webhooks with a 3 s receiver {hooked_p95:.1f} ms "
        f"(ratio {hooked_p95 / base_p95:.2f}; target <= 1.20); "
        f"median {statistics.median(times['none']):.1f} vs "
        f"{statistics.median(times['5 slow']):.1f} ms; "
        f"{got} slow deliveries answered meanwhile; {load()}"
    )


def throughput(kind: str, make_db: contextlib.AbstractContextManager[str]) -> None:
    from dependency_injector import providers

    from acme.adapters.sqlalchemy.tables import webhook_deliveries
    from acme.application import webhooks as uc
    from acme.domain.events import DomainEvent
    from acme.entrypoints.container import Container
    from acme.entrypoints.settings import Settings

    with make_db as db, receiver(0.0) as fast:
        c = Container()
        c.settings.override(
            providers.Singleton(Settings, database_url=db, webhook_allow_private=True)
        )
        uc.create_webhook(
            c.uow, c.clock(), c.address_guard(), uc.NewWebhook(fast, ["product.updated"])
        )
        with c.uow() as uow:  # 10,000 committed events waiting in the outbox
            now = c.clock().now()
            for i in range(EVENTS):
                uow.events.publish(DomainEvent("product.updated", {"id": i, "sku": f"S{i}"}, now))
            uow.commit()
        loop = c.dispatch_loop()
        started = time.perf_counter()
        loop.start()
        engine = c.engine()
        done = 0
        while done < EVENTS and time.perf_counter() - started < 300:
            time.sleep(0.05)
            with engine.connect() as conn:
                done = conn.execute(
                    select(func.count())
                    .select_from(webhook_deliveries)
                    .where(webhook_deliveries.c.status == "succeeded")
                ).scalar_one()
        elapsed = time.perf_counter() - started
        loop.stop()
        at_receiver = received(fast)
        c.webhook_sender().close()
        engine.dispose()
    print(
        f"[{kind}] {EVENTS:,} events to one webhook (in order) delivered in {elapsed:.1f} s "
        f"({EVENTS / elapsed:,.0f}/s; target < 20 s); receiver counted {at_receiver:,}; {load()}"
    )


def run_throughput_only() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        throughput("sqlite", sqlite_db(Path(tmp)))


def run(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        latency("sqlite", work, sqlite_db(work), sqlite_db(work))
        throughput("sqlite", sqlite_db(work))
        if postgres_available():
            latency(
                "postgresql", work, postgres_database("acme_bench"), postgres_database("acme_bench")
            )
            throughput("postgresql", postgres_database("acme_bench"))
        else:
            print("PostgreSQL not reachable: skipped its figures")


if __name__ == "__main__":
    threading.excepthook = lambda a: None
    run(argparse.Namespace())
