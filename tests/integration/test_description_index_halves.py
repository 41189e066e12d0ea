"""The description filter on PostgreSQL: the two halves of the trigram index (migration 0009)
serve it together, and it finds exactly what a plain ILIKE finds."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, select, text

from acme.adapters.sqlalchemy.engine import build_engine
from acme.adapters.sqlalchemy.products import SqlProductRepository
from acme.adapters.sqlalchemy.tables import products
from acme.application.ports import ProductFilter
from tests.databases import empty_tables

DESCRIPTIONS = [
    "Red cotton shirt",
    "red WOOL scarf",
    "Blue shirt, 100% cotton",
    "under_score and back\\slash",
    "",
    "Ünïcode RÉD ribbon",
]


@pytest.fixture
def pg_engine(postgres_url: str) -> Iterator[Engine]:
    empty_tables(postgres_url)
    engine = build_engine(postgres_url)
    yield engine
    engine.dispose()
    empty_tables(postgres_url)


def _fill(engine: Engine, rows: int) -> None:
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO products (sku, sku_key, name, description, active, created_at,"
                " updated_at) SELECT 'S' || g, 's' || g, 'Name ' || g,"
                " (CAST(:d AS text[]))[1 + g % cardinality(CAST(:d AS text[]))]"
                " || ' ' || md5(g::text), g % 7 <> 0, now(), now()"
                " FROM generate_series(1, :n) g"
            ),
            {"d": DESCRIPTIONS, "n": rows},
        )
        conn.execute(text("ANALYZE products"))


@pytest.mark.parametrize(
    "fragment", ["red", "SHIRT", "100%", "under_score", "back\\slash", "rÉd", "nothing-like-it"]
)
def test_description_filter_finds_what_a_plain_ilike_finds(
    pg_engine: Engine, fragment: str
) -> None:
    _fill(pg_engine, 300)
    with pg_engine.connect() as conn:
        escaped = fragment.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        expected = list(
            conn.execute(
                select(products.c.id)
                .where(products.c.description.ilike(f"%{escaped}%", escape="\\"))
                .order_by(products.c.id)
            ).scalars()
        )
        page = SqlProductRepository(conn).list(
            ProductFilter(description=fragment), 1, 1000, exact_total=True
        )
    assert [p.id for p in page.items] == expected
    assert page.total == len(expected)


def test_description_filter_uses_both_index_halves(pg_engine: Engine) -> None:
    _fill(pg_engine, 20_000)
    with pg_engine.connect() as conn:
        # At this size a scan is cheaper; forbid it to see which indexes the filter can use
        # (the 500k-row plans are checked by `python -m bench products_list`).
        conn.execute(text("SET enable_seqscan = off"))
        repository = SqlProductRepository(conn)
        rare = hashlib.md5(b"12345").hexdigest()[4:12]  # in one description of 20,000
        query = repository._filtered(select(products.c.id), ProductFilter(description=rare))
        compiled = query.compile(conn)  # bound parameters, as the application sends them
        plan = "\n".join(conn.exec_driver_sql(f"EXPLAIN {compiled}", compiled.params).scalars())
    assert "BitmapOr" in plan
    assert "products_description_trgm_0" in plan
    assert "products_description_trgm_1" in plan
    assert "Seq Scan" not in plan
