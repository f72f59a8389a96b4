"""In a real headless Chromium against a real `massdm serve --sandbox`: create a webhook to a real
`massdm webhooks listen`, send it a test event, watch the attempt appear in the log, redeliver it."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import expect

from massdm.testing.handle import Sandbox
from tests.conftest import free_port


@dataclass
class Listener:
    url: str
    output: Path  # one JSON object per delivery (`listen --json`)

    def deliveries(self, count: int, timeout: float = 30) -> list[dict]:
        """The first `count` deliveries it printed, once it has printed them."""
        deadline = time.monotonic() + timeout
        while True:
            lines = [json.loads(line) for line in self.output.read_text().splitlines() if line.startswith("{")]
            if len(lines) >= count or time.monotonic() > deadline:
                assert len(lines) >= count, f"the listener printed {lines}"
                return lines[:count]
            time.sleep(0.05)


@pytest.fixture
def listener(tmp_path: Path) -> Iterator[Listener]:
    """`massdm webhooks listen --json` on a free port, once it accepts connections."""
    port = free_port()
    output = tmp_path / "listen.out"
    with open(output, "w") as out, open(tmp_path / "listen.err", "w") as err:
        process = subprocess.Popen([sys.executable, "-m", "massdm", "webhooks", "listen", "--port", str(port),
                                    "--json"], stdout=out, stderr=err, stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, (tmp_path / "listen.err").read_text()
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "massdm webhooks listen never listened"
                time.sleep(0.05)
        yield Listener(f"http://127.0.0.1:{port}/console-hook", output)
    finally:
        process.terminate()
        process.wait(15)


def test_a_test_event_reaches_the_listener_shows_in_the_log_and_is_redelivered(signed_in_page, console_server,
                                                                               listener, screenshot):
    Sandbox(console_server).reset()
    page = signed_in_page
    page.get_by_role("link", name="Webhooks").click()
    page.get_by_role("button", name="New webhook").click()
    page.get_by_label("Endpoint URL").fill(listener.url)
    page.get_by_label("chat_queue.finished").check()
    page.get_by_label("messages.ppv.unlocked").check()
    page.get_by_role("button", name="Create webhook").click()
    page.wait_for_url("**/console/webhooks/wh_*")
    expect(page.get_by_role("status")).to_have_text("Webhook created.")

    page.get_by_role("button", name="Send test event").click()
    attempts = page.locator("#log details.attempt")
    expect(attempts).to_have_count(1, timeout=30_000)  # the log refreshes itself until it is made
    first = attempts.first
    expect(first.locator("summary")).to_contain_text("test-event")
    expect(first.locator(".status")).to_have_text("200")
    [received] = listener.deliveries(1)
    assert (received["event"], received["status"], received["attempt"]) == ("test-event", 200, "1")
    first.locator("summary").click()
    expect(first).to_contain_text(received["idempotency_key"])  # the request headers, as the listener got them
    expect(first).to_contain_text(f'"webhook_id": "{received["payload"]["webhook_id"]}"')
    log_row = first.get_attribute("data-attempt")

    first.get_by_role("button", name="Redeliver").click()
    expect(attempts).to_have_count(2, timeout=30_000)
    newest = attempts.first
    expect(newest.locator("summary")).to_contain_text(f"redelivery of #{log_row}")
    expect(newest.locator(".status")).to_have_text("200")
    _, again = listener.deliveries(2)
    assert (again["event"], again["redelivery_of"]) == ("test-event", log_row)
    assert again["idempotency_key"] == received["idempotency_key"]
    newest.locator("summary").click()
    screenshot(page, "webhook")

    page.get_by_role("link", name="← Webhooks").click()
    row = page.get_by_role("row").filter(has_text=listener.url)
    expect(row).to_contain_text("active")
    expect(row).to_contain_text("200")
    screenshot(page, "webhooks")
