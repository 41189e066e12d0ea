"""End-to-end fixtures: the real app in its own process on a fresh database, driven by Debian's
Chromium through Playwright. Screenshots worth keeping go to docs/screenshots/."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Playwright, sync_playwright

from tests.databases import postgres_database
from tests.servers import LiveServer, start_server, stop_server

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "docs" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The app served by `acme serve` on a fresh PostgreSQL database, for one test module."""
    with postgres_database("acme_e2e") as url:
        server = start_server(url, tmp_path_factory.mktemp("server"))
        try:
            yield server
        finally:
            stop_server(server)


@pytest.fixture(scope="session")
def playwright_instance() -> Iterator[Playwright]:
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright_instance: Playwright) -> Iterator[Browser]:
    executable = shutil.which("chromium") or "/usr/bin/chromium"
    browser = playwright_instance.chromium.launch(
        executable_path=executable, headless=True, args=CHROMIUM_ARGS
    )
    yield browser
    browser.close()


@pytest.fixture
def page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    failed = getattr(request.node, "rep_call", None)
    if failed is not None and failed.failed:
        out = ROOT / "test-results"
        out.mkdir(exist_ok=True)
        page.screenshot(path=str(out / f"{request.node.name}.png"), full_page=True)
    context.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    setattr(item, f"rep_{report.when}", report)


def save_screenshot(page: Page, name: str) -> Path:
    """Save a screenshot of the current page as NAME.png: under docs/screenshots/ when
    ACME_UPDATE_SCREENSHOTS=1 (`make screenshots`), else under test-results/screenshots/, so
    an ordinary test run never rewrites tracked files."""
    folder = (
        SCREENSHOTS
        if os.environ.get("ACME_UPDATE_SCREENSHOTS") == "1"
        else ROOT / "test-results" / "screenshots"
    )
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=False)
    return path


def wait_for_js(page: Page, expression: str, timeout_s: float = 15) -> None:
    """Wait until ``expression`` is truthy in the page. Use this instead of
    ``page.wait_for_function``: that one evaluates its string inside the page with ``eval``,
    which the app's Content-Security-Policy (no 'unsafe-eval') refuses; ``page.evaluate`` runs
    through the DevTools protocol, outside the CSP."""
    deadline = time.monotonic() + timeout_s
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            raise AssertionError(f"still false after {timeout_s}s: {expression}")
        page.wait_for_timeout(25)
