"""The shared ImportJobRepository suite, on the in-memory fake."""

from __future__ import annotations

from tests.suites.import_job_repository import *  # noqa: F403
