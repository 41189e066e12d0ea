"""The shared upload use-case suite, on in-memory fakes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.fakes import FakeFileStorage, FakeUnitOfWork
from tests.suites.upload_usecases import *  # noqa: F403


def test_the_workers_housekeeping_expires_abandoned_uploads_when_configured(
    uow_factory: Callable[[], FakeUnitOfWork], storage: FakeFileStorage
) -> None:
    from datetime import timedelta

    from acme.application import uploads as uc
    from acme.entrypoints.container import build_recovery
    from tests.fakes import FakeClock, FakeTaskQueue
    from tests.suites.upload_usecases import LIMITS

    start = FakeClock().now()
    up = uc.create_upload(uow_factory, storage, FakeClock(start), LIMITS, "a.csv", 10)
    later = FakeClock(start + timedelta(hours=2))

    def housekeeping(expire_after: float) -> Any:
        return build_recovery(
            uow_factory,
            later,
            stale_after=120.0,
            max_attempts=3,
            resend_queued=False,
            storage=storage,
            upload_expire_after=expire_after,
        )

    assert housekeeping(0.0)(FakeTaskQueue(), ()).expired_uploads == []
    assert uc.get_upload(uow_factory, storage, up.id).id == up.id
    enabled = housekeeping(3600.0)
    report = enabled(FakeTaskQueue(), ())
    assert report.expired_uploads == [up.id] and report.changed
