"""The shared product use-case suite, on in-memory fakes."""

from __future__ import annotations

from tests.suites.product_usecases import *  # noqa: F403
