"""The real app served by `acme serve` in its own process, for end-to-end tests and benchmarks.

One place for: a free loopback port, starting the server with a given database and settings,
waiting until /healthz answers, and stopping it.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class LiveServer:
    url: str
    database_url: str
    storage_dir: Path
    process: subprocess.Popen[bytes]
    log: Path

    def api(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=30)


def start_server(
    database_url: str, workdir: Path, *, startup_timeout: float = 30, **env: str
) -> LiveServer:
    """Start `acme serve` on a free port (no broker, local storage under ``workdir``); ``env``
    adds or overrides settings. Returns once /healthz answers."""
    port = free_port()
    storage = workdir / "uploads"
    log = workdir / f"server-{port}.log"
    environment = {
        **os.environ,
        "ACME_DATABASE_URL": database_url,
        "ACME_STORAGE_URL": f"file://{storage}",
        "ACME_BROKER_URL": "",
        "ACME_WEBHOOK_ALLOW_PRIVATE": "true",
        **env,
    }
    with log.open("wb") as out:
        process = subprocess.Popen(  # the real entrypoint, as a user starts it
            [sys.executable, "-m", "acme.entrypoints.cli", "serve", "--port", str(port)],
            env=environment,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=workdir,
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + startup_timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited early:\n{log.read_text()}")
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return LiveServer(url, database_url, storage, process, log)
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"server did not start:\n{log.read_text()}")


def stop_server(server: LiveServer) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.process.kill()


@contextmanager
def served(database_url: str, workdir: Path, **env: str) -> Iterator[LiveServer]:
    """`start_server` for the length of a ``with`` block."""
    server = start_server(database_url, workdir, **env)
    try:
        yield server
    finally:
        stop_server(server)
