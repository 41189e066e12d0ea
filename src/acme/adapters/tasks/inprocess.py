"""The in-process TaskQueue used when ``ACME_BROKER_URL`` is empty.

A few daemon threads, started lazily on the first job, run imports inside this process. The
queue lives in memory: jobs queued or running when the process stops are found again by
recovery (``recover_stale_imports``) when the next process starts its recovery loop, and
re-sent; daemon threads mean stopping the server never waits for an import to finish.
"""

from __future__ import annotations

import logging
import queue as stdqueue
import threading
from collections.abc import Callable, Collection

from acme.application.ports import TaskQueue

log = logging.getLogger(__name__)

Recover = Callable[[TaskQueue, Collection[str]], object]


class InProcessTaskQueue(TaskQueue):
    def __init__(
        self,
        run: Callable[[str], object],
        *,
        workers: int = 1,
        recover: Recover | None = None,
        recover_every: float = 30.0,
    ) -> None:
        self._run = run
        self._workers = max(1, workers)
        self._recover = recover
        self._recover_every = recover_every
        self._jobs: stdqueue.Queue[str] = stdqueue.Queue()
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._known: set[str] = set()  # queued here or running here
        self._idle = threading.Condition(self._lock)
        self._stop = threading.Event()
        self._recovery: threading.Thread | None = None

    def enqueue_import(self, job_id: str) -> None:
        with self._lock:
            self._start_workers()
            self._known.add(job_id)
        self._jobs.put(job_id)

    @property
    def active(self) -> frozenset[str]:
        """Job ids this process has queued or is running."""
        with self._lock:
            return frozenset(self._known)

    def _start_workers(self) -> None:
        while len(self._threads) < self._workers:
            t = threading.Thread(
                target=self._work, name=f"acme-import-{len(self._threads)}", daemon=True
            )
            t.start()
            self._threads.append(t)

    def _work(self) -> None:
        while True:
            job_id = self._jobs.get()
            try:
                self._run(job_id)
            except Exception:  # one bad job never stops the worker thread
                log.exception("in-process import %s failed", job_id)
            finally:
                with self._lock:
                    self._known.discard(job_id)
                    self._idle.notify_all()

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Block until no job is queued or running here (CLI and tests)."""
        with self._lock:
            return self._idle.wait_for(lambda: not self._known, timeout)

    def start_recovery(self) -> None:
        """Recover now (jobs left by a previous process), then every ``recover_every``
        seconds, on a daemon thread. Idempotent."""
        if self._recover is None or self._recovery is not None:
            return
        self._recovery = threading.Thread(
            target=self._recovery_loop, name="acme-import-recovery", daemon=True
        )
        self._recovery.start()

    def _recovery_loop(self) -> None:
        assert self._recover is not None
        while True:
            try:
                self._recover(self, self.active)
            except Exception:
                log.exception("import recovery failed; will try again")
            if self._stop.wait(self._recover_every):
                return

    def stop_recovery(self) -> None:
        self._stop.set()


class DeferredTaskQueue(TaskQueue):
    """Leaves the job queued in the database and runs nothing: the in-process worker of a
    running ``acme serve`` (no broker) picks queued jobs up through its recovery loop."""

    def enqueue_import(self, job_id: str) -> None:
        log.info("import %s left queued for the in-process worker of `acme serve`", job_id)
