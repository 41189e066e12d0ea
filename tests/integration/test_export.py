"""`acme products export PATH` on both databases: the file a user gets, and its errors."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Engine

from acme.adapters.sqlalchemy.products import SqlProductRepository
from acme.application import products as uc
from acme.application.ports import UnitOfWork
from tests.fakes import FakeClock
from tests.servers import free_port

PRODUCTS = [
    uc.NewProduct("A-1", 'Chair, "oak"', "line one\nline two\r\nthree", True),
    uc.NewProduct("ß-２", "Größe 𝔘nicode ✓", "", False),
    uc.NewProduct("C,3", "Lamp", ' "quoted" , ; \t tab', True),
]


def acme(database_url: str, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ACME_DATABASE_URL": database_url}
    return subprocess.run(
        [sys.executable, "-m", "acme.entrypoints.cli", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def seeded(uow_factory: Callable[[], UnitOfWork]) -> None:
    clock = FakeClock()
    for product in PRODUCTS:
        uc.create_product(uow_factory, clock, product)


@pytest.mark.usefixtures("seeded")
def test_export_writes_every_product_as_round_trippable_csv(
    database_url: str, tmp_path: Path
) -> None:
    result = acme(database_url, "products", "export", "catalog.csv", cwd=tmp_path)
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == "exported 3 products to catalog.csv\n"
    raw = (tmp_path / "catalog.csv").read_bytes()
    assert raw.startswith(b"name,sku,description,active\r\n")
    with (tmp_path / "catalog.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert rows == [
        {
            "name": p.name,
            "sku": p.sku,
            "description": p.description,
            "active": str(p.active).lower(),
        }
        for p in PRODUCTS
    ]
    assert [p.name for p in tmp_path.iterdir()] == ["catalog.csv"]  # no temporary file left


@pytest.mark.usefixtures("seeded")
def test_export_to_standard_output(database_url: str, tmp_path: Path) -> None:
    result = acme(database_url, "products", "export", "-", cwd=tmp_path)
    assert result.returncode == 0
    assert result.stdout.splitlines()[0] == "name,sku,description,active"
    assert "Größe 𝔘nicode ✓" in result.stdout
    assert result.stderr == "exported 3 products\n"


def test_a_missing_directory_is_one_line_and_exit_2(database_url: str, tmp_path: Path) -> None:
    result = acme(database_url, "products", "export", "no/such/dir/out.csv", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr == (
        f"error: cannot write no/such/dir/out.csv: directory {tmp_path}/no/such/dir "
        "does not exist\n"
    )
    assert list(tmp_path.iterdir()) == []


def test_an_unreachable_database_is_one_line_exit_1_and_leaves_no_file(tmp_path: Path) -> None:
    url = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/nowhere"
    (tmp_path / "out.csv").write_text("previous export\n")
    result = acme(url, "products", "export", "out.csv", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.startswith("error: export failed: cannot read products from the database")
    assert len(result.stderr.splitlines()) == 1
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]
    assert (tmp_path / "out.csv").read_text() == "previous export\n"  # left as it was


def test_stream_reads_through_a_server_side_cursor_on_postgresql(
    engine: Engine, uow_factory: Callable[[], UnitOfWork], database_url: str
) -> None:
    clock = FakeClock()
    for i in range(5):
        uc.create_product(uow_factory, clock, uc.NewProduct(f"s{i}", f"n{i}"))
    with engine.connect() as conn, conn.begin():
        stream = SqlProductRepository(conn).stream(batch_size=2)
        first = next(stream)
        if engine.dialect.name == "postgresql":
            open_cursors = conn.exec_driver_sql("SELECT statement FROM pg_cursors").scalars().all()
            # the rows stay on the server until fetched; the check's own query is a plain one
            assert len(open_cursors) == 1 and "FROM products" in open_cursors[0]
        rest = list(stream)
    assert [p.sku for p in [first, *rest]] == [f"s{i}" for i in range(5)]
