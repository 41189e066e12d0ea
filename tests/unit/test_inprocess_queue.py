"""The in-process task queue: runs jobs on its own threads, survives a crashing job, tells
recovery which jobs it holds."""

from __future__ import annotations

import threading
from collections.abc import Collection

from acme.adapters.tasks.inprocess import InProcessTaskQueue
from acme.application.ports import TaskQueue


def test_jobs_run_on_worker_threads_in_order_and_a_crash_does_not_stop_the_worker() -> None:
    ran: list[tuple[str, str]] = []

    def run(job_id: str) -> None:
        ran.append((job_id, threading.current_thread().name))
        if job_id == "boom":
            raise RuntimeError("crash")

    queue = InProcessTaskQueue(run, workers=1)
    for job_id in ("a", "boom", "b"):
        queue.enqueue_import(job_id)
    assert queue.wait_idle(timeout=10)
    assert [j for j, _ in ran] == ["a", "boom", "b"]
    assert {t for _, t in ran} == {"acme-import-0"}
    assert queue.active == frozenset()


def test_recovery_is_told_which_jobs_this_process_holds() -> None:
    release = threading.Event()
    seen: list[frozenset[str]] = []
    recovered = threading.Event()

    def run(job_id: str) -> None:
        release.wait(10)

    def recover(q: TaskQueue, skip: Collection[str]) -> None:
        seen.append(frozenset(skip))
        recovered.set()

    queue = InProcessTaskQueue(run, recover=recover, recover_every=60)
    queue.enqueue_import("mine")
    queue.start_recovery()
    assert recovered.wait(10)
    queue.stop_recovery()
    release.set()
    assert queue.wait_idle(timeout=10)
    assert seen[0] == {"mine"}
