"""The shared product use-case suite, on the real SQL adapters (PostgreSQL and SQLite)."""

from tests.suites.product_usecases import *  # noqa: F403
