"""In a real headless Chromium against a real `massdm serve --sandbox`: freeze the clock in the sandbox
page, advance it 25 hours, and see a message scheduled for tomorrow go out."""

from __future__ import annotations

from datetime import timedelta

from playwright.sync_api import expect

from massdm.testing.handle import Sandbox


def test_advancing_the_clock_in_the_page_sends_a_message_scheduled_for_tomorrow(signed_in_page, console_server,
                                                                                 screenshot):
    sandbox = Sandbox(console_server)
    sandbox.reset()
    sandbox.seed(40, seed=7)
    tomorrow = sandbox.now() + timedelta(days=1)
    sent = sandbox.client.mass_messaging.send(sandbox.account, text="Tomorrow only", user_lists=["fans"],
                                              scheduled_date=tomorrow.strftime("%Y-%m-%dT%H:%M:%S.%fZ"))

    page = signed_in_page
    page.get_by_role("link", name="Sandbox").click()
    page.wait_for_url("**/console/sandbox")
    expect(page.get_by_test_id("clock-state")).to_have_text("Running")
    page.get_by_role("button", name="Freeze").click()
    expect(page.get_by_test_id("clock-state")).to_have_text("Frozen")
    assert sandbox.clock()["frozen"] is True
    page.get_by_role("button", name="+25 h").click()

    report = page.get_by_role("status")
    expect(report).to_contain_text("The clock moved to", timeout=60_000)
    expect(page.get_by_test_id("ran-sent")).to_have_text("1")
    delivered = int(page.get_by_test_id("ran-delivered").inner_text().replace(",", ""))
    queue = sandbox.http.get(f"/api/{sandbox.account}/mass-messaging/{sent.data.id}").json()["data"]["queue"]
    assert queue["isDone"] is True and queue["sentCount"] > 0
    assert delivered == queue["sentCount"]
    screenshot(page, "sandbox")
