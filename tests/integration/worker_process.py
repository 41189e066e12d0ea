"""Run a real ``acme worker`` (Celery, Redis broker) as a subprocess for integration tests.

Each test session uses its own queue name, so parallel runs never take each other's tasks;
the Redis database is one of those assigned to this project's tests (ACME_TEST_REDIS_URL,
default ``redis://127.0.0.1:6379/1``).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

REDIS_URL = os.environ.get("ACME_TEST_REDIS_URL", "redis://127.0.0.1:6379/1")
ACME = str(Path(sys.executable).with_name("acme"))


class WorkerProcess:
    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self.log_path = log_path
        self._log = log_path.open("ab")
        self.proc = subprocess.Popen(
            [ACME, "worker", "--concurrency", "1", "--loglevel", "INFO"],
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_ready(self, timeout: float = 60.0) -> None:
        """Until Celery says the worker consumes its queue (or the process died)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if " ready." in self.log():
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.1)
        raise RuntimeError(f"worker did not start:\n{self.log()[-3000:]}")

    def kill(self) -> None:
        """SIGKILL: no cleanup, no ack; the job is left as a crash leaves it."""
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self._log.close()


@contextmanager
def worker_process(env: dict[str, str], log_path: Path) -> Iterator[WorkerProcess]:
    worker = WorkerProcess(env, log_path)
    try:
        worker.wait_ready()
        yield worker
    finally:
        worker.stop()


def forget_queue(queue: str) -> None:
    """Remove what this run left in Redis: its queue and any unacked message of it."""
    import json

    import redis

    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.delete(queue, f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}")
        for tag, raw in client.hgetall("unacked").items():
            try:
                routing = json.loads(raw)[2]
            except (ValueError, IndexError, TypeError):
                continue
            if routing == queue:
                client.hdel("unacked", tag)
                client.zrem("unacked_index", tag)
    finally:
        client.close()
