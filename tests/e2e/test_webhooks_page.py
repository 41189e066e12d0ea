"""The webhooks page in Chromium against `acme serve` (embedded dispatcher) and real local
receivers: add, secret shown once, test button, toggle, delivery log, delete."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import standardwebhooks
from playwright.sync_api import Page, expect

from tests.e2e.conftest import save_screenshot
from tests.receivers import Receiver, free_port, wait_until
from tests.servers import LiveServer


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver().start()
    yield r
    r.stop()


def add_webhook(page: Page, url: str, events: list[str]) -> str:
    page.get_by_role("button", name="Add webhook").click()
    dialog = page.locator("#webhook-dialog")
    expect(dialog).to_be_visible()
    dialog.get_by_label("Endpoint URL").fill(url)
    for event in events:
        dialog.locator(f'input[name="events"][value="{event}"]').check()
    dialog.get_by_role("button", name="Save").click()
    secret_dialog = page.locator("#secret-dialog")
    expect(secret_dialog).to_be_visible()
    secret = page.locator("#secret-value").text_content() or ""
    page.get_by_role("button", name="Done").click()
    expect(secret_dialog).to_be_hidden()
    return secret


def row(page: Page, url: str):  # type: ignore[no-untyped-def]
    return page.locator("#webhooks-body tr", has=page.locator("code", has_text=url))


def test_manage_and_test_webhooks_in_the_browser(
    live_server: LiveServer, page: Page, receiver: Receiver
) -> None:
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.goto(f"{live_server.url}/webhooks")
    expect(page.locator("#webhooks-empty")).to_be_visible()

    # the form refuses bad input with readable messages before sending anything
    page.get_by_role("button", name="Add webhook").click()
    page.get_by_label("Endpoint URL").fill("ftp://example.com/x")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#webhook-url-error")).to_contain_text("http:// or https://")
    expect(page.locator("#webhook-events-error")).to_have_text("Choose at least one event.")
    page.get_by_label("Endpoint URL").fill(receiver.url)
    page.locator('input[name="events"][value="product.created"]').check()
    page.locator('input[name="events"][value="import.completed"]').check()
    page.locator("#webhook-events-error").evaluate("e => e.textContent = ''")
    page.locator("#webhook-url-error").evaluate("e => e.textContent = ''")
    save_screenshot(page, "webhooks-modal")
    page.get_by_role("button", name="Save").click()

    # the secret is shown once, with a copy button
    expect(page.locator("#secret-dialog")).to_be_visible()
    secret = page.locator("#secret-value").text_content() or ""
    assert secret.startswith("whsec_")
    page.get_by_role("button", name="Copy").click()
    expect(page.locator("#secret-copied")).to_have_text("Copied to the clipboard.")
    assert page.evaluate("navigator.clipboard.readText()") == secret
    page.get_by_role("button", name="Done").click()

    hook = row(page, receiver.url)
    expect(hook).to_have_count(1)
    expect(hook.locator(".wh-events")).to_have_text("product.createdimport.completed")
    expect(hook.locator(".wh-enabled")).to_be_checked()
    expect(hook.locator(".wh-last")).to_have_text("Never sent")
    with live_server.api() as api:
        (stored,) = api.get("/api/webhooks").json()
        assert stored["secret"] != secret and stored["secret"].endswith(secret[-4:])

    # Test: the receiver gets a signed webhook.test and the page shows code and time
    hook.get_by_role("button", name=f"Test {receiver.url}").click()
    expect(hook.locator(".wh-test-result")).to_contain_text("✓ HTTP 200 in")
    assert receiver.types() == ["webhook.test"]
    standardwebhooks.Webhook(secret).verify(receiver.received[0].body, receiver.received[0].headers)
    expect(hook.locator(".wh-last")).to_contain_text("succeeded")

    # a product change is delivered by the embedded dispatcher and shows in the log
    with live_server.api() as api:
        assert api.post("/api/products", json={"sku": "E2E-1", "name": "n"}).status_code == 201
    wait_until(lambda: receiver.types() == ["webhook.test", "product.created"], what="delivery")
    hook.get_by_role("button", name=f"Deliveries {receiver.url}").click()
    log = page.locator("#log-body tr")
    expect(log.first).to_contain_text("product.created", timeout=10_000)
    expect(log.first).to_contain_text("succeeded")
    expect(log).to_have_count(2)
    expect(log.nth(1)).to_contain_text("webhook.test")
    page.locator("#log-close").click()

    # a webhook whose receiver is down: Test says so in plain words
    down_url = f"http://127.0.0.1:{free_port()}/hook"
    add_webhook(page, down_url, ["product.updated"])
    down = row(page, down_url)
    down.get_by_role("button", name=f"Test {down_url}").click()
    expect(down.locator(".wh-test-result")).to_contain_text("connection refused")

    # toggle off: stored as disabled
    hook = row(page, receiver.url)
    hook.locator(".switch").click()
    expect(hook.locator(".wh-enabled")).not_to_be_checked()
    expect(hook.locator(".switch-label")).to_have_text("Off")
    with live_server.api() as api:
        states = {w["url"]: w["enabled"] for w in api.get("/api/webhooks").json()}
    assert states == {receiver.url: False, down_url: True}
    hook.locator(".switch").click()
    expect(hook.locator(".switch-label")).to_have_text("On")
    expect(hook.locator(".wh-enabled")).to_be_enabled()
    page.locator("#toasts").evaluate("e => e.replaceChildren()")
    save_screenshot(page, "webhooks-list")

    # delete, with confirmation
    down.get_by_role("button", name=f"Delete {down_url}").click()
    expect(page.locator("#delete-dialog")).to_be_visible()
    expect(page.locator("#delete-url")).to_have_text(down_url)
    page.locator("#delete-confirm").click()
    expect(row(page, down_url)).to_have_count(0)
    with live_server.api() as api:
        assert [w["url"] for w in api.get("/api/webhooks").json()] == [receiver.url]
    page.reload()
    expect(page.locator("#webhooks-body tr")).to_have_count(1)
