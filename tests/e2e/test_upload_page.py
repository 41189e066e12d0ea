"""The upload page in real Chromium: choose a file, watch it upload (tus, in parts) and import,
see the counts; a broken file's reason, its rejected rows and Retry; a dropped connection and a
reload that resume from the last confirmed byte; screenshots of each state."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import FileChooser, Page, Request, Route, expect
from sqlalchemy import create_engine, text

from acme.adapters.sqlalchemy.bulk_postgres import MERGE_LOCK_KEY
from tests.databases import postgres_database
from tests.e2e.conftest import save_screenshot
from tests.e2e.csvgen import expected_counts, generate
from tests.servers import LiveServer, start_server, stop_server

SMALL_CHUNK = 256 * 1024
IMPORT_TIMEOUT = 300_000


@pytest.fixture(scope="module")
def small_chunk_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The app with 256 KiB upload parts, so a small file takes many requests."""
    with postgres_database("acme_e2e") as url:
        server = start_server(
            url,
            tmp_path_factory.mktemp("server-small"),
            ACME_UPLOAD_CHUNK_BYTES=str(SMALL_CHUNK),
        )
        try:
            yield server
        finally:
            stop_server(server)


@dataclass
class TusTraffic:
    """What the browser sent to /api/uploads, in order."""

    methods: list[str] = field(default_factory=list)
    patch_offsets: list[int] = field(default_factory=list)
    confirmed: list[tuple[int, int]] = field(default_factory=list)  # (sent offset, new offset)
    locations: list[str] = field(default_factory=list)  # created uploads

    def watch(self, page: Page) -> None:
        def on_request(request: Request) -> None:
            if "/api/uploads" in request.url:
                self.methods.append(request.method)
                if request.method == "PATCH":
                    self.patch_offsets.append(int(request.headers["upload-offset"]))

        def on_response(response: object) -> None:
            req = response.request  # type: ignore[attr-defined]
            if req.method == "POST" and response.status == 201:  # type: ignore[attr-defined]
                self.locations.append(response.headers["location"])  # type: ignore[attr-defined]
            if req.method == "PATCH" and response.status == 204:  # type: ignore[attr-defined]
                self.confirmed.append(
                    (
                        int(req.headers["upload-offset"]),
                        int(response.headers["upload-offset"]),  # type: ignore[attr-defined]
                    )
                )

        page.on("request", on_request)
        page.on("response", on_response)


def stored_bytes(server: LiveServer, traffic: TusTraffic) -> bytes:
    """The bytes the server stored for the last upload the page created."""
    return (server.storage_dir / "uploads" / traffic.locations[-1].rsplit("/", 1)[1]).read_bytes()


def open_page(page: Page, server: LiveServer) -> None:
    page.goto(server.url + "/")
    expect(page.locator("#uploader")).to_have_attribute("data-ready", "true")


def choose_and_start(page: Page, path: Path) -> None:
    page.set_input_files("#file-input", str(path))
    expect(page.locator("#chosen-file")).to_contain_text(path.name)
    page.click("#start")


def wait_for_outcome(page: Page, expected: str, timeout: float = 120_000) -> None:
    """Wait until the import ends; fail at once, with the page's reason, if it ends otherwise."""
    stage = page.locator("#stage")
    expect(stage).to_have_text(re.compile(r"^Import (complete|failed|cancelled)$"), timeout=timeout)
    if (got := stage.inner_text()) != expected:
        pytest.fail(f"{got}: {page.locator('#failure-reason').inner_text()}")


def counts(page: Page) -> dict[str, int]:
    return {
        key: int(page.locator(f"#c-{key}").inner_text().replace(",", ""))
        for key in ("rows", "created", "updated", "unchanged", "invalid", "duplicates")
    }


def test_the_idle_page_is_labelled_and_keyboard_operable(
    live_server: LiveServer, page: Page
) -> None:
    # Listen for file choosers before the page loads: Playwright turns the interception on
    # asynchronously when the first listener is added, so adding it at the key press races.
    choosers: list[FileChooser] = []
    page.on("filechooser", lambda chooser: choosers.append(chooser))
    open_page(page, live_server)
    expect(page.get_by_role("heading", name="Import products")).to_be_visible()
    expect(page.locator("#dropzone")).to_contain_text("Drag and drop a CSV file here")
    bar = page.get_by_role("progressbar")
    expect(bar).to_have_attribute("aria-valuenow", "0")
    expect(bar).to_have_attribute("aria-valuetext", "Waiting for a file")
    expect(page.get_by_role("button", name="Upload and import")).to_be_disabled()
    # The file picker opens from the keyboard.
    for _ in range(3):  # skip link, brand, then the navigation's links...
        page.keyboard.press("Tab")
    choose = page.get_by_role("button", name="Choose a file…")
    while not choose.evaluate("b => b === document.activeElement"):
        page.keyboard.press("Tab")
    with page.expect_file_chooser() as chooser:
        page.keyboard.press("Enter")
    assert not chooser.value.is_multiple()
    assert choosers == [chooser.value]
    # No inline scripts, handlers or styles (a strict CSP must not break the page).
    assert page.locator("script:not([src])").count() == 0
    assert page.locator("[style]").count() == 0
    assert (
        page.evaluate(
            "[...document.querySelectorAll('*')]"
            ".some(e => [...e.attributes].some(a => a.name.startsWith('on')))"
        )
        is False
    )
    assert page.locator("script[src*='cdn'], link[href*='cdn']").count() == 0
    save_screenshot(page, "upload-idle")


def test_a_broken_file_shows_its_reason_and_retry_runs_it_again(
    live_server: LiveServer, page: Page, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.csv"
    broken.write_text("name,description\nChair,oak\n")
    open_page(page, live_server)
    choose_and_start(page, broken)
    wait_for_outcome(page, "Import failed", 60_000)
    reason = page.locator("#failure-reason")
    expect(reason).to_contain_text("missing required column 'sku'")
    expect(page.locator("#failure")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("The import failed")
    save_screenshot(page, "upload-failed")
    with page.expect_response(re.compile(r"/api/imports/[^/]+/retry$")) as retried:
        page.get_by_role("button", name="Retry", exact=True).click()
    assert retried.value.status == 202
    job = retried.value.json()
    assert job["status"] == "queued"
    # The retried import ran again (same file, so the same reason) and the page followed it.
    api = live_server.api()
    for _ in range(600):
        final = api.get(f"/api/imports/{job['id']}").json()
        if final["status"] not in ("queued", "running"):
            break
        page.wait_for_timeout(100)
    assert final["status"] == "failed"
    assert "missing required column 'sku'" in final["error"]
    wait_for_outcome(page, "Import failed", 60_000)
    expect(reason).to_have_text(final["error"])
    expect(page.locator(f"#history tr[data-job-id='{job['id']}']")).to_contain_text("failed")


def test_rejected_rows_are_shown_inline_with_a_link_to_errors_csv(
    live_server: LiveServer, page: Page, tmp_path: Path
) -> None:
    path = generate(tmp_path / "some-invalid.csv", 60, seed=3, invalid_every=5, prefix="inv-")
    expected = expected_counts(path)
    open_page(page, live_server)
    choose_and_start(page, path)
    wait_for_outcome(page, "Import complete", 60_000)
    expect(page.locator("#rejected")).to_be_visible()
    rows = page.locator("#rejected-rows tr")
    expect(rows).to_have_count(10)
    assert counts(page)["invalid"] == expected.invalid == 12
    shown = [r.locator("td").all_inner_texts() for r in rows.all()]
    assert [int(r[0]) for r in shown] == list(expected.invalid_lines[:10])
    assert {r[2] for r in shown} == {"name"}
    href = page.locator("#errors-link").get_attribute("href")
    assert href is not None and href.endswith("/errors.csv")
    body = live_server.api().get(href).text
    assert len(body.strip().splitlines()) == expected.invalid + 1


def test_500k_rows_imported_through_the_page_with_the_right_counts(
    live_server: LiveServer, page: Page, tmp_path: Path
) -> None:
    path = generate(tmp_path / "catalog-500k.csv", 500_000, seed=11, prefix="big-")
    expected = expected_counts(path)
    before = live_server.api().get("/api/products?page_size=1&count=exact").json()["total"]
    traffic = TusTraffic()
    traffic.watch(page)
    open_page(page, live_server)
    choose_and_start(page, path)
    expect(page.locator("#stage")).to_have_text(
        re.compile("Parsing and validating|Merging"), timeout=IMPORT_TIMEOUT
    )
    expect(page.locator("#c-rows")).not_to_have_text(re.compile(r"^[–0]$"))
    save_screenshot(page, "upload-progress")
    values: set[str] = set()
    bar = page.get_by_role("progressbar")
    while page.locator("#stage").inner_text() not in ("Import complete", "Import failed"):
        values.add(bar.get_attribute("aria-valuenow") or "")
        page.wait_for_timeout(100)
    wait_for_outcome(page, "Import complete", IMPORT_TIMEOUT)
    expect(bar).to_have_attribute("aria-valuenow", "100.0")
    assert len(values) >= 3  # the bar moved through the flow, not in one jump
    got = counts(page)
    assert got == {
        "rows": expected.rows,
        "created": expected.unique,
        "updated": 0,
        "unchanged": 0,
        "invalid": 0,
        "duplicates": expected.duplicates_in_file,
    }
    total = live_server.api().get("/api/products?page_size=1&count=exact").json()["total"]
    assert total == before + expected.unique
    # Every byte went up once, in parts no larger than the default 5 MiB.
    size = path.stat().st_size
    assert sum(new - old for old, new in traffic.confirmed) == size
    assert all(new - old <= 5 * 1024 * 1024 for old, new in traffic.confirmed)
    assert len(traffic.locations) == 1  # one upload created, never restarted
    row = page.locator("#history tr").first
    expect(row).to_contain_text("catalog-500k.csv")
    expect(row).to_contain_text("completed")
    save_screenshot(page, "upload-complete")


def test_a_dropped_part_is_resent_from_the_confirmed_offset(
    small_chunk_server: LiveServer, page: Page, tmp_path: Path
) -> None:
    path = generate(tmp_path / "dropped.csv", 20_000, seed=5)
    expected = expected_counts(path)
    size = path.stat().st_size
    assert size > 4 * SMALL_CHUNK
    traffic = TusTraffic()
    traffic.watch(page)
    patches = {"n": 0}

    def drop_third_patch(route: Route) -> None:
        if route.request.method == "PATCH":
            patches["n"] += 1
            if patches["n"] == 3:
                route.abort("connectionreset")
                return
        route.continue_()

    page.route(re.compile(r"/api/uploads/[^/]+$"), drop_third_patch)
    open_page(page, small_chunk_server)
    choose_and_start(page, path)
    wait_for_outcome(page, "Import complete", 120_000)
    # After the drop the client asked for the confirmed offset and went on from there.
    dropped_at = 2 * SMALL_CHUNK
    assert traffic.patch_offsets[:4] == [0, SMALL_CHUNK, dropped_at, dropped_at]
    after_drop = traffic.methods[traffic.methods.index("PATCH") + 3 :]
    assert after_drop[0] == "HEAD"
    # The server received each byte once: confirmed parts tile the file without overlap.
    confirmed = sorted(traffic.confirmed)
    assert confirmed[0][0] == 0 and confirmed[-1][1] == size
    assert all(a[1] == b[0] for a, b in itertools.pairwise(confirmed))
    assert stored_bytes(small_chunk_server, traffic) == path.read_bytes()
    job = small_chunk_server.api().get("/api/imports?limit=1").json()[0]
    assert (job["created"], job["duplicates_in_file"]) == (
        expected.unique,
        expected.duplicates_in_file,
    )


def test_a_reload_mid_upload_resumes_from_the_last_confirmed_byte(
    small_chunk_server: LiveServer, page: Page, tmp_path: Path
) -> None:
    path = generate(tmp_path / "reloaded.csv", 20_000, seed=9)
    size = path.stat().st_size
    traffic = TusTraffic()
    traffic.watch(page)
    patches = {"n": 0}

    def cut_after_two(route: Route) -> None:
        if route.request.method == "PATCH":
            patches["n"] += 1
            if patches["n"] > 2:
                route.abort("internetdisconnected")
                return
        route.continue_()

    page.route(re.compile(r"/api/uploads/[^/]+$"), cut_after_two)
    open_page(page, small_chunk_server)
    choose_and_start(page, path)
    while patches["n"] <= 2:
        page.wait_for_timeout(50)
    page.reload()  # while parts still fail, so nothing more is confirmed before it
    page.unroute(re.compile(r"/api/uploads/[^/]+$"))
    expect(page.locator("#uploader")).to_have_attribute("data-ready", "true")
    confirmed_before = max(new for _, new in traffic.confirmed)
    assert confirmed_before == 2 * SMALL_CHUNK
    expect(page.locator("#resume-hint")).to_contain_text("reloaded.csv")
    before = len(traffic.methods)
    choose_and_start(page, path)
    wait_for_outcome(page, "Import complete", 120_000)
    after = traffic.methods[before:]
    assert after[0] == "HEAD"  # resumed the stored upload, did not create a new one
    assert "POST" not in after[: after.index("PATCH")]
    resumed_from = traffic.patch_offsets[len([m for m in traffic.methods[:before] if m == "PATCH"])]
    assert resumed_from == confirmed_before
    confirmed = sorted(traffic.confirmed)
    assert confirmed[-1][1] == size
    assert sum(new - old for old, new in confirmed) == size
    assert len(traffic.locations) == 1
    assert stored_bytes(small_chunk_server, traffic) == path.read_bytes()


def test_coming_back_shows_a_running_import_live_and_cancel_stops_it(
    live_server: LiveServer, page: Page, tmp_path: Path
) -> None:
    """One worker: a big import runs while a small one waits queued behind it.

    The test holds the advisory lock that serialises merges, so the big import parks in its
    merge until the test has asked for the cancellation: the outcome never depends on how
    fast the machine happens to be."""
    big = generate(tmp_path / "big-running.csv", 500_000, seed=13, prefix="cancel-")
    small = generate(tmp_path / "small-queued.csv", 10, seed=1)
    api = live_server.api()
    before = api.get("/api/products?page_size=1&count=exact").json()["total"]
    engine = create_engine(live_server.database_url)
    holder = engine.connect()
    try:
        holder.execute(text("SELECT pg_advisory_lock(:k)"), {"k": MERGE_LOCK_KEY})
        holder.commit()
        with big.open("rb") as f:
            running = api.post("/api/imports", files={"file": (big.name, f, "text/csv")}).json()
        with small.open("rb") as f:
            queued = api.post("/api/imports", files={"file": (small.name, f, "text/csv")}).json()
        assert queued["status"] == "queued"
        open_page(page, live_server)
        stage = page.locator("#stage")
        bar = page.get_by_role("progressbar")
        expect(stage).to_have_text(re.compile("Parsing and validating|Merging"), timeout=60_000)
        # The queued one is cancelled from the history at once.
        page.get_by_role("button", name="Cancel the import of small-queued.csv").click()
        expect(page.locator(f"#history tr[data-job-id='{queued['id']}']")).to_contain_text(
            "cancelled"
        )
        # Leave and come back: the running import is shown live again, with its progress.
        page.goto(live_server.url + "/products")
        open_page(page, live_server)
        expect(stage).to_have_text(re.compile("Parsing and validating|Merging"))
        expect(bar).not_to_have_attribute("aria-valuenow", "0")
        expect(page.locator("#c-rows")).not_to_have_text("–")
        page.get_by_role("button", name="Cancel import", exact=True).click()
        asked = text("SELECT cancel_requested FROM import_jobs WHERE id = :id")
        for _ in range(200):
            if holder.execute(asked, {"id": running["id"]}).scalar():
                break
            holder.rollback()
            page.wait_for_timeout(50)
        holder.rollback()
    finally:
        holder.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": MERGE_LOCK_KEY})
        holder.commit()
        holder.close()
        engine.dispose()
    wait_for_outcome(page, "Import cancelled", 60_000)
    assert api.get(f"/api/imports/{running['id']}").json()["status"] == "cancelled"
    assert api.get(f"/api/imports/{queued['id']}").json()["status"] == "cancelled"
    assert (
        api.get("/api/products?page_size=1&count=exact").json()["total"] == before
    )  # nothing changed


def test_the_page_is_readable_at_phone_width(live_server: LiveServer, page: Page) -> None:
    page.set_viewport_size({"width": 375, "height": 800})
    open_page(page, live_server)
    expect(page.get_by_role("button", name="Choose a file…")).to_be_visible()
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
