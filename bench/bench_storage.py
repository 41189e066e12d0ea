"""File storage and auth overhead (`python -m bench storage`).

1. A CSV-sized file (``--mib``, default 64 MiB) through each FileStorage adapter side by side:
   the local folder and S3 (moto's S3-compatible server on 127.0.0.1, so this measures the
   adapter and HTTP round trips, not AWS): ``write`` (streamed multipart), resumable ``append``
   in 5 MiB chunks (the upload page's part size), and streaming ``open``/read; MiB/s each.
2. The security middleware's cost: requests/s of ``GET /api/products`` in-process with no
   token configured, with a bearer token, and with a session cookie.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from acme.adapters.storage.local import LocalFileStorage
from acme.adapters.storage.s3 import S3FileStorage
from acme.application.ports import FileStorage

CHUNK = 5 * 1024 * 1024


def _timed(fn: Callable[[], object]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def _storage_figures(storage: FileStorage, data: bytes) -> dict[str, float]:
    mib = len(data) / 1024 / 1024
    blocks = [data[i : i + 1024 * 1024] for i in range(0, len(data), 1024 * 1024)]

    def append_all() -> None:
        offset = 0
        for i in range(0, len(data), CHUNK):
            offset = storage.append("uploads/appended", offset, data[i : i + CHUNK])

    def read(key: str) -> None:
        with storage.open(key) as f:
            while f.read(1024 * 1024):
                pass

    return {
        "write": mib / _timed(lambda: storage.write("uploads/whole", blocks)),
        "append 5 MiB parts": mib / _timed(append_all),
        "read written": mib / _timed(lambda: read("uploads/whole")),
        "read appended": mib / _timed(lambda: read("uploads/appended")),
    }


def _auth_figures(requests: int) -> dict[str, float]:
    from fastapi.testclient import TestClient
    from tests.apps import make_app
    from tests.databases import sqlite_database

    out: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp, sqlite_database(Path(tmp)) as url:
        for label, token in (
            ("no token configured", ""),
            ("bearer", "t" * 40),
            ("cookie", "t" * 40),
        ):
            app = make_app(url, api_token=token)
            with TestClient(app) as client:
                headers = {"Authorization": f"Bearer {token}"} if label == "bearer" else {}
                if label == "cookie":
                    client.post("/login", data={"token": token}, follow_redirects=False)
                assert client.get("/api/products", headers=headers).status_code == 200
                elapsed = _timed(
                    lambda c=client, h=headers: [
                        c.get("/api/products", headers=h) for _ in range(requests)
                    ]
                )
                out[label] = requests / elapsed
            app.state.container.engine().dispose()
    return out


def run(args: argparse.Namespace) -> None:
    from tests.s3server import new_bucket, s3_client, s3_server

    mib = int(getattr(args, "mib", 0) or 64)
    data = os.urandom(mib * 1024 * 1024)
    with tempfile.TemporaryDirectory() as tmp, s3_server() as endpoint:
        adapters: dict[str, FileStorage] = {
            "local": LocalFileStorage(Path(tmp) / "uploads"),
            "s3 (moto)": S3FileStorage(new_bucket(endpoint), "bench", client=s3_client(endpoint)),
        }
        figures = {name: _storage_figures(s, data) for name, s in adapters.items()}
    print(f"storage, {mib} MiB file, MiB/s:")
    print(f"  {'operation':<20}" + "".join(f"{name:>14}" for name in figures))
    for op in next(iter(figures.values())):
        print(f"  {op:<20}" + "".join(f"{figures[n][op]:>14.1f}" for n in figures))
    auth = _auth_figures(300)
    base = auth["no token configured"]
    print("GET /api/products in-process, requests/s (ratio to no auth):")
    for label, rps in auth.items():
        print(f"  {label:<20}{rps:>10.0f}  ({rps / base:.2f}x)")
