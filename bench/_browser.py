"""Browser helpers shared by the benchmarks that drive Chromium."""

from __future__ import annotations

import time

from playwright.sync_api import Page


def wait_js(page: Page, expression: str, timeout_s: float = 60, poll_ms: int = 25) -> None:
    """Wait until ``expression`` is truthy in the page. ``page.wait_for_function`` evaluates its
    string with ``eval``, which the app's Content-Security-Policy refuses; ``page.evaluate``
    runs through the DevTools protocol, outside the CSP."""
    deadline = time.monotonic() + timeout_s
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            raise TimeoutError(f"still false after {timeout_s}s: {expression}")
        page.wait_for_timeout(poll_ms)
