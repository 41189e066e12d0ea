"""The Celery worker: app factory, the import task, and the recovery loop.

``acme worker`` builds the container from settings, registers ``acme.run_import`` on a Celery
app configured by ``adapters.tasks.celery_queue.celery_config`` (acks_late, reject on worker
lost, prefetch 1) and consumes the configured queue with a thread pool. The task parses its
argument and calls one use case through the container (``import_jobs.execute_import``).
A daemon thread runs ``recover_stale_imports`` every ``ACME_IMPORT_STALE_AFTER / 2`` seconds,
so an import whose worker died is re-queued (or, after too many attempts, failed). Another
runs the webhook dispatcher (``DispatchLoop``), as ``acme serve`` does when there is no broker.
"""

from __future__ import annotations

import logging
import threading
import uuid

from celery import Celery

from acme.adapters.tasks.celery_queue import IMPORT_TASK, make_celery_app
from acme.entrypoints.container import Container

log = logging.getLogger(__name__)


def create_celery_app(container: Container) -> Celery:
    settings = container.settings()
    if not settings.broker_url:
        raise ValueError("ACME_BROKER_URL is empty; the Celery worker needs a broker")
    app = make_celery_app(settings.broker_url, settings.task_queue)

    def run_import_task(job_id: str) -> None:
        container.import_executor()(str(job_id))

    app.task(name=IMPORT_TASK, acks_late=True, reject_on_worker_lost=True, ignore_result=True)(
        run_import_task
    )
    return app


def start_recovery_loop(container: Container, stop: threading.Event) -> threading.Thread:
    settings = container.settings()
    interval = max(1.0, settings.import_stale_after / 2)
    recover = container.import_recovery()
    queue = container.task_queue()

    def loop() -> None:
        while True:
            try:
                report = recover(queue, ())
                if report.changed:
                    log.warning("import recovery: %s", report)
            except Exception:
                log.exception("import recovery failed; will try again")
            if stop.wait(interval):
                return

    thread = threading.Thread(target=loop, name="acme-import-recovery", daemon=True)
    thread.start()
    return thread


def run_worker(container: Container, *, concurrency: int = 2, loglevel: str = "INFO") -> None:
    """Run a Celery worker in this process until it is stopped."""
    settings = container.settings()
    app = create_celery_app(container)
    logging.basicConfig(
        level=loglevel.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    stop = threading.Event()
    start_recovery_loop(container, stop)
    # webhooks: this worker also runs the dispatcher thread (safe beside other workers and
    # `acme webhooks dispatch`: claims are per-webhook leases with FOR UPDATE SKIP LOCKED)
    dispatch_loop = container.dispatch_loop()
    dispatch_loop.start()
    try:
        app.worker_main(
            [
                "worker",
                "--pool=threads",
                f"--concurrency={concurrency}",
                f"--queues={settings.task_queue}",
                f"--loglevel={loglevel}",
                f"--hostname=acme-{uuid.uuid4().hex[:8]}@%h",
                "--without-gossip",
                "--without-mingle",
            ]
        )
    finally:
        stop.set()
        dispatch_loop.stop()
