"""The Celery TaskQueue (Redis broker), and the Celery configuration workers share.

Delivery is at-least-once: ``acks_late`` with ``task_reject_on_worker_lost`` and a prefetch
of one, so a job whose worker is killed is delivered again instead of lost. Duplicates are
harmless: the task runs ``execute_import``, which drops a task whose job is finished or held
by a live worker, and restarts one left running by a dead worker. Workers also run
``recover_stale_imports`` on a timer, so a dead worker's job is re-queued within
``ACME_IMPORT_STALE_AFTER`` seconds even before the broker would redeliver it.
"""

from __future__ import annotations

from typing import Any

from celery import Celery

from acme.application.ports import TaskQueue

IMPORT_TASK = "acme.run_import"


def celery_config(broker_url: str, queue: str) -> dict[str, Any]:
    return {
        "broker_url": broker_url,
        "result_backend": None,
        "task_ignore_result": True,
        "task_default_queue": queue,
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        "task_serializer": "json",
        "accept_content": ["json"],
        "broker_connection_retry_on_startup": True,
        "broker_transport_options": {"visibility_timeout": 3600},
        "task_publish_retry_policy": {
            "max_retries": 3,
            "interval_start": 0,
            "interval_step": 0.5,
            "interval_max": 1,
        },
        "worker_hijack_root_logger": False,
        "worker_send_task_events": False,
    }


def make_celery_app(broker_url: str, queue: str) -> Celery:
    app = Celery("acme", set_as_current=False)
    app.conf.update(celery_config(broker_url, queue))
    return app


class CeleryTaskQueue(TaskQueue):
    """Sends ``acme.run_import(job_id)`` to the configured queue; the Celery app is built on
    first use, so building the container opens no connection."""

    def __init__(self, broker_url: str, queue: str) -> None:
        self._broker_url = broker_url
        self._queue = queue
        self._app: Celery | None = None

    @property
    def app(self) -> Celery:
        if self._app is None:
            self._app = make_celery_app(self._broker_url, self._queue)
        return self._app

    def enqueue_import(self, job_id: str) -> None:
        self.app.send_task(IMPORT_TASK, args=[job_id], queue=self._queue)

    def ping(self) -> None:
        """Raise if the broker cannot be reached (readiness checks)."""
        with self.app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
