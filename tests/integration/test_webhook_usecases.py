"""The shared webhook use-case suite, on the real SQL adapters (PostgreSQL and SQLite)."""

from tests.suites.webhook_usecases import *  # noqa: F403
