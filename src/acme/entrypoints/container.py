"""The composition root: settings in, adapters chosen from settings, use cases wired to ports.

Nothing here is built at import time; ``Container()`` builds lazily, on first use.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection
from datetime import timedelta
from functools import partial

from dependency_injector import containers, providers
from sqlalchemy import Engine

from acme.adapters.clock import SystemClock
from acme.adapters.secret_box import SecretBox
from acme.adapters.sqlalchemy.engine import build_engine
from acme.adapters.sqlalchemy.uow import SqlUnitOfWork
from acme.adapters.webhooks.guard import DnsAddressGuard, GuardedNetworkBackend
from acme.adapters.webhooks.sender import HttpxWebhookSender
from acme.application import import_jobs, uploads
from acme.application.ports import Clock, DependencyCheck, FileStorage, TaskQueue, UnitOfWork
from acme.application.webhook_dispatch import DispatchConfig, Dispatcher, DispatchLoop
from acme.domain.webhook import RetryPolicy
from acme.entrypoints.settings import Settings


def build_storage(url: str, s3_endpoint_url: str = "") -> FileStorage:
    """The FileStorage adapter that ``ACME_STORAGE_URL`` names."""
    if url.startswith("file://"):
        from acme.adapters.storage.local import LocalFileStorage, local_root_from_url

        return LocalFileStorage(local_root_from_url(url))
    if url.startswith("s3://"):
        from acme.adapters.storage.s3 import S3FileStorage

        return S3FileStorage.from_url(url, endpoint_url=s3_endpoint_url or None)
    raise ValueError(f"unsupported ACME_STORAGE_URL {url!r}: expected file:// or s3://")


def build_import_runner(
    uow_factory: Callable[[], UnitOfWork], storage: FileStorage, clock: Clock, stale_after: float
) -> import_jobs.ImportRunner:
    """``run_import`` (the CSV engine) with its ports bound: job id in, import run."""

    def run(job_id: str) -> object:
        from acme.application.csv_import import run_import

        return run_import(
            job_id,
            uow_factory=uow_factory,
            storage=storage,
            clock=clock,
            stale_after=timedelta(seconds=stale_after),
        )

    return run


def build_import_executor(
    uow_factory: Callable[[], UnitOfWork],
    clock: Clock,
    runner: import_jobs.ImportRunner,
    stale_after: float,
) -> Callable[[str], object]:
    """What a worker calls with one task's job id (Celery task or in-process thread)."""
    return partial(
        import_jobs.execute_import,
        uow_factory,
        clock,
        runner,
        stale_after=timedelta(seconds=stale_after),
    )


# A queued job another process (a CLI with --no-wait) left in the database is taken by the
# in-process worker after this long; its own jobs are skipped, so it never runs one twice.
QUEUED_RESEND_AFTER = timedelta(seconds=5)


def build_recovery(
    uow_factory: Callable[[], UnitOfWork],
    clock: Clock,
    stale_after: float,
    max_attempts: int,
    resend_queued: bool,
    storage: FileStorage | None = None,
    upload_expire_after: float = 0.0,
) -> Callable[[TaskQueue, Collection[str]], import_jobs.RecoveryReport]:
    """The periodic housekeeping of workers: imports whose worker died, and (with a storage
    and ``upload_expire_after`` > 0) uploads abandoned for that many seconds."""

    def recover(queue: TaskQueue, skip: Collection[str] = ()) -> import_jobs.RecoveryReport:
        report = import_jobs.recover_stale_imports(
            uow_factory,
            queue,
            clock,
            stale_after=timedelta(seconds=stale_after),
            max_attempts=max_attempts,
            resend_queued=resend_queued,
            queued_after=QUEUED_RESEND_AFTER,
            skip=skip,
        )
        if storage is not None and upload_expire_after > 0:
            report.expired_uploads = uploads.expire_abandoned_uploads(
                uow_factory, storage, clock, timedelta(seconds=upload_expire_after)
            )
        return report

    return recover


def build_task_queue(
    broker_url: str,
    queue_name: str,
    executor: Callable[[str], object],
    recover: Callable[[TaskQueue, Collection[str]], object],
    workers: int,
    stale_after: float,
) -> TaskQueue:
    """Celery when ``ACME_BROKER_URL`` is set, else the in-process worker."""
    if broker_url:
        from acme.adapters.tasks.celery_queue import CeleryTaskQueue

        return CeleryTaskQueue(broker_url, queue_name)
    from acme.adapters.tasks.inprocess import InProcessTaskQueue

    return InProcessTaskQueue(
        executor,
        workers=workers,
        recover=recover,
        recover_every=min(max(1.0, stale_after / 2), 10.0),
    )


def build_dependency_checks(engine: Engine, broker_url: str) -> list[DependencyCheck]:
    """What /readyz checks: the database, and the broker when one is configured."""
    from acme.adapters.broker import BrokerCheck
    from acme.adapters.sqlalchemy.health import DatabaseCheck

    checks: list[DependencyCheck] = [DatabaseCheck(engine)]
    if broker_url:
        checks.append(BrokerCheck(broker_url))
    return checks


class Container(containers.DeclarativeContainer):
    settings = providers.Singleton(Settings)

    engine = providers.Singleton(build_engine, url=settings.provided.database_url)
    clock = providers.Singleton(SystemClock)
    storage = providers.Singleton(
        build_storage,
        url=settings.provided.storage_url,
        s3_endpoint_url=settings.provided.s3_endpoint_url,
    )

    # set after every commit that published events, which wakes this process's webhook
    # dispatcher at once (it also polls, for events committed by other processes)
    dispatch_wakeup = providers.Singleton(threading.Event)
    secret_box = providers.Singleton(
        SecretBox.from_settings,
        secret_key=settings.provided.secret_key,
        key_file=settings.provided.secret_key_file,
    )
    uow = providers.Factory(
        SqlUnitOfWork,
        engine=engine,
        after_commit=dispatch_wakeup.provided.set,
        secret_box=secret_box,
    )

    # Imports: the engine's run_import, the worker-side executor, recovery, the task queue.
    import_runner = providers.Singleton(
        build_import_runner,
        uow_factory=uow.provider,
        storage=storage,
        clock=clock,
        stale_after=settings.provided.import_stale_after,
    )
    import_executor = providers.Singleton(
        build_import_executor,
        uow_factory=uow.provider,
        clock=clock,
        runner=import_runner,
        stale_after=settings.provided.import_stale_after,
    )
    import_recovery = providers.Singleton(
        build_recovery,
        uow_factory=uow.provider,
        clock=clock,
        stale_after=settings.provided.import_stale_after,
        max_attempts=settings.provided.import_max_attempts,
        storage=storage,
        upload_expire_after=settings.provided.upload_expire_after,
        # the in-process queue dies with its process, so queued jobs are re-sent
        resend_queued=providers.Callable(lambda url: not url, settings.provided.broker_url),
    )
    task_queue = providers.Singleton(
        build_task_queue,
        broker_url=settings.provided.broker_url,
        queue_name=settings.provided.task_queue,
        executor=import_executor,
        recover=import_recovery,
        workers=settings.provided.import_workers,
        stale_after=settings.provided.import_stale_after,
    )

    # Webhooks (dispatch_wakeup is declared above, before the unit of work that sets it)
    address_guard = providers.Singleton(
        DnsAddressGuard, allow_private=settings.provided.webhook_allow_private
    )
    webhook_sender = providers.Singleton(
        HttpxWebhookSender,
        backend=providers.Singleton(
            GuardedNetworkBackend, allow_private=settings.provided.webhook_allow_private
        ),
        timeout_seconds=settings.provided.webhook_timeout_seconds,
        max_connections=settings.provided.webhook_concurrency,
    )
    retry_policy = providers.Singleton(
        RetryPolicy, base_seconds=settings.provided.webhook_retry_base_seconds
    )
    dispatch_config = providers.Singleton(
        DispatchConfig,
        concurrency=settings.provided.webhook_concurrency,
        poll_seconds=settings.provided.webhook_poll_seconds,
        lease_seconds=settings.provided.webhook_lease_seconds,
        retention_days=settings.provided.webhook_retention_days,
    )
    dispatcher = providers.Singleton(
        Dispatcher,
        uow_factory=uow.provider,
        clock=clock,
        sender=webhook_sender,
        policy=retry_policy,
        config=dispatch_config,
    )
    dispatch_loop = providers.Singleton(DispatchLoop, dispatcher=dispatcher, wakeup=dispatch_wakeup)
    dependency_checks = providers.Singleton(
        build_dependency_checks, engine=engine, broker_url=settings.provided.broker_url
    )
