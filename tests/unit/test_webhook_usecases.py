"""The shared webhook use-case suite, on in-memory fakes."""

from __future__ import annotations

from tests.suites.webhook_usecases import *  # noqa: F403
