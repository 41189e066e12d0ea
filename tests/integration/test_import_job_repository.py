"""The shared ImportJobRepository suite, on SQLite and PostgreSQL."""

from tests.suites.import_job_repository import *  # noqa: F403
