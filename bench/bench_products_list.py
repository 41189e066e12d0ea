"""Listing products over the real API with a large catalog in PostgreSQL.

Creates a scratch database, seeds ``--rows`` (default 500,000) realistic products with COPY,
starts ``acme serve`` on a free port and measures, over HTTP, sequential requests for page 1,
page 5,000, and each single filter (``total`` included). Beside each figure it times the naive
SQL (exact ``count(*)`` + plain ``OFFSET``) on the same database, so the ratio is measured in
the same run. Needs PostgreSQL at ACME_TEST_DATABASE_URL (an admin connection; the scratch
database is dropped afterwards).

    .venv/bin/python -m bench products_list [--rows N] [--requests N]
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg
from sqlalchemy import Connection, create_engine, func, select
from sqlalchemy.engine import make_url
from tests.databases import postgres_database
from tests.servers import start_server, stop_server

from acme.adapters.sqlalchemy.tables import products
from acme.domain.sku import sku_filter_key, sku_key

ADJECTIVES = [
    "Classic",
    "Modern",
    "Compact",
    "Deluxe",
    "Rustic",
    "Portable",
    "Premium",
    "Vintage",
    "Sleek",
    "Sturdy",
    "Foldable",
    "Lightweight",
    "Ergonomic",
    "Elegant",
    "Minimal",
    "Heavy-Duty",
    "Smart",
    "Cozy",
    "Bold",
    "Slim",
    "Large",
    "Small",
    "Handcrafted",
    "Industrial",
    "Nordic",
    "Tropical",
    "Urban",
    "Outdoor",
    "Indoor",
    "Professional",
]
MATERIALS = [
    "Steel",
    "Oak",
    "Cotton",
    "Leather",
    "Ceramic",
    "Glass",
    "Bamboo",
    "Walnut",
    "Linen",
    "Copper",
    "Brass",
    "Wool",
    "Marble",
    "Aluminium",
    "Silicone",
    "Cork",
    "Velvet",
    "Denim",
    "Titanium",
    "Porcelain",
]
NOUNS = [
    "Chair",
    "Lamp",
    "Kettle",
    "Backpack",
    "Table",
    "Mug",
    "Shelf",
    "Blanket",
    "Bottle",
    "Desk",
    "Stool",
    "Vase",
    "Clock",
    "Mirror",
    "Basket",
    "Pan",
    "Knife",
    "Bowl",
    "Jacket",
    "Wallet",
    "Cushion",
    "Rug",
    "Bench",
    "Planter",
    "Tray",
    "Organizer",
    "Speaker",
    "Candle",
    "Frame",
    "Hanger",
    "Lantern",
    "Cabinet",
    "Sofa",
    "Bed",
    "Helmet",
    "Umbrella",
    "Glove",
    "Scarf",
    "Watch",
    "Pillow",
]
FEATURES = [
    "water resistant",
    "easy to clean",
    "hand made",
    "energy efficient",
    "dishwasher safe",
    "machine washable",
    "scratch resistant",
    "eco friendly",
    "child safe",
    "heat resistant",
    "quick assembly",
    "lifetime warranty",
    "stain resistant",
    "ultra light",
    "noise free",
    "fully adjustable",
    "space saving",
    "wireless charging",
    "fair trade",
    "recycled packaging",
    "non slip",
    "rust proof",
    "fade resistant",
    "extra durable",
    "soft touch",
]
COLOURS = [
    "black",
    "white",
    "grey",
    "navy",
    "olive",
    "sand",
    "teal",
    "crimson",
    "amber",
    "ivory",
    "charcoal",
    "sage",
]
CATEGORIES = [
    "KIT",
    "HOM",
    "OFF",
    "GAR",
    "TOY",
    "SPT",
    "ELC",
    "BTY",
    "FSH",
    "AUT",
    "PET",
    "BOK",
    "MUS",
    "ART",
    "TLS",
    "FOD",
    "BAB",
    "HLT",
    "JWL",
    "LGT",
    "OUT",
    "TRV",
    "BTH",
    "BED",
    "DSK",
    "STO",
]

# What each measured request asks for (filters chosen so they match many rows).
COMMON_WORD = "steel"  # a material: ~1 name in 20
PHRASE = "water resistant"  # a feature: ~2 descriptions in 25
SKU_PREFIX = "KIT-01"  # a category and the start of a number range
CASES: list[tuple[str, dict[str, Any]]] = [
    ("page 1", {"page": 1}),
    ("page 5,000", {"page": 5000}),
    (f"name contains '{COMMON_WORD}'", {"name": COMMON_WORD}),
    (f"description contains '{PHRASE}'", {"description": PHRASE}),
    (f"sku prefix '{SKU_PREFIX}'", {"sku": SKU_PREFIX}),
    ("active=false", {"active": "false"}),
]


def product_rows(count: int, seed: int = 7) -> Iterator[tuple[Any, ...]]:
    """``count`` products: unique SKUs (some lower-cased), three-word names, descriptions of
    two or three sentences with two feature phrases, 10% inactive."""
    rnd = random.Random(seed)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for n in range(count):
        sku = f"{rnd.choice(CATEGORIES)}-{n:07d}"
        if rnd.random() < 0.05:
            sku = sku.lower()
        name = f"{rnd.choice(ADJECTIVES)} {rnd.choice(MATERIALS)} {rnd.choice(NOUNS)}"
        f1, f2 = rnd.sample(FEATURES, 2)
        description = (
            f"A {rnd.choice(COLOURS)} {name.lower()}, {f1} and {f2}. "
            f"Model {rnd.randint(100, 999)}, {rnd.randint(1, 90)} cm."
        )
        if rnd.random() < 0.4:
            description += f"\nShips in {rnd.randint(1, 14)} days."
        stamp = start + timedelta(seconds=n)
        yield (sku, sku_key(sku), name, description, rnd.random() >= 0.1, stamp, stamp)


def libpq_dsn(url: str) -> str:
    u = make_url(url)
    return str(u.set(drivername="postgresql").render_as_string(hide_password=False))


def seed(url: str, count: int) -> float:
    """COPY ``count`` products in; indexes the migrations made are dropped and rebuilt around
    the load (as a bulk load would), then VACUUM ANALYZE. Returns seconds taken."""
    started = time.perf_counter()
    with psycopg.connect(libpq_dsn(url), autocommit=True) as conn:
        indexes = conn.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'products' "
            "AND indexname NOT IN (SELECT conname FROM pg_constraint)"
        ).fetchall()
        for name, _ in indexes:
            conn.execute(f'DROP INDEX "{name}"')
        with (
            conn.cursor() as cur,
            cur.copy(
                "COPY products (sku, sku_key, name, description, active, created_at, updated_at)"
                " FROM STDIN"
            ) as copy,
        ):
            for row in product_rows(count):
                copy.write_row(row)
        conn.execute("SET maintenance_work_mem = '256MB'")
        for _, definition in indexes:
            conn.execute(definition)
        conn.execute("VACUUM ANALYZE products")
    return time.perf_counter() - started


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20, method="inclusive")[18]


def timed(fn: Callable[[], Any], warmup: int, repeat: int) -> tuple[list[float], Any]:
    result = None
    for _ in range(warmup):
        result = fn()
    samples = []
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        samples.append((time.perf_counter() - t) * 1000)
    return samples, result


def naive_list(conn: Connection, params: dict[str, Any]) -> int:
    """The straightforward listing this project started with: an exact count(*) and a plain
    ``ORDER BY id OFFSET/LIMIT`` over full rows, with ``active IS false``."""
    query = select(products)
    if "name" in params:
        query = query.where(products.c.name.ilike(f"%{params['name']}%"))
    if "description" in params:
        query = query.where(products.c.description.ilike(f"%{params['description']}%"))
    if "sku" in params:
        query = query.where(products.c.sku_key.like(f"%{sku_filter_key(params['sku'])}%"))
    if "active" in params:
        query = query.where(products.c.active.is_(params["active"] == "true"))
    total = conn.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    offset = (params.get("page", 1) - 1) * 50
    conn.execute(query.order_by(products.c.id).offset(offset).limit(50)).all()
    return int(total)


def run(args: argparse.Namespace) -> None:
    rows: int = args.rows
    repeat = int(getattr(args, "requests", 0) or 50)
    print(f"catalog: {rows:,} products in PostgreSQL; {repeat} sequential requests per case")
    with postgres_database("acme_bench") as url, tempfile.TemporaryDirectory() as tmp:
        print(f"seeded with COPY + index build + VACUUM ANALYZE in {seed(url, rows):.1f} s")
        server = start_server(url, Path(tmp), startup_timeout=60)
        base = server.url
        results = []
        try:
            with httpx.Client(base_url=base, timeout=30) as client:
                for label, params in CASES:

                    def call(params: dict[str, Any] = params) -> dict[str, Any]:
                        r = client.get("/api/products", params={"page_size": 50, **params})
                        r.raise_for_status()
                        body: dict[str, Any] = r.json()
                        return body

                    samples, body = timed(call, warmup=5, repeat=repeat)
                    results.append((label, params, samples, body))
        finally:
            stop_server(server)
        engine = create_engine(url)
        with engine.connect() as conn:
            naive = [timed(lambda p=p: naive_list(conn, p), 2, 10) for _, p, _, _ in results]
        engine.dispose()
    header = (
        f"{'case':<38} {'p50 ms':>7} {'p95 ms':>7} {'max ms':>7} {'items':>5} "
        f"{'total':>9} {'capped':>6} {'naive p95':>10} {'ratio':>6}"
    )
    print(header)
    print("-" * len(header))
    for (label, _, samples, body), (naive_samples, naive_total) in zip(results, naive, strict=True):
        fast = p95(samples)
        slow = p95(naive_samples)
        print(
            f"{label:<38} {statistics.median(samples):>7.1f} {fast:>7.1f} {max(samples):>7.1f} "
            f"{len(body['items']):>5} {body['total']:>9,} {body.get('total_capped', False)!s:>6} "
            f"{slow:>7.1f} ms {slow / fast:>5.1f}x"
        )
        if body["total"] > naive_total or (
            not body.get("total_capped") and body["total"] != naive_total
        ):
            print(f"  !! total {body['total']} disagrees with count(*) = {naive_total}")
    print(
        "p50/p95/max: over HTTP, sequential, after 5 warm-up requests. naive: the first "
        "implementation's queries (exact count(*), plain OFFSET) on the same database, without "
        "HTTP, 10 runs; ratio = naive p95 / API p95."
    )
