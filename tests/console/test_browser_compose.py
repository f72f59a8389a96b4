"""In a real headless Chromium against a real `massdm serve --sandbox`: compose a PPV message to a list
less another list and a single fan, see the audience size change as they are picked, send it, land
on its campaign, and see the worker deliver it to that many fans."""

from __future__ import annotations

import re
import time
from datetime import timedelta

from playwright.sync_api import expect

from massdm.testing.handle import Sandbox
from tests import media_files


def _ok(answer) -> dict:
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_compose_a_ppv_message_to_a_list_less_another(signed_in_page, console_server, screenshot):
    sb = Sandbox(console_server)
    sb.reset()
    account = sb.account
    _ok(sb.http.post(f"/api/{account}/fans", json=[{"id": n, "username": f"fan{n}"} for n in range(1, 12)]))
    lists = {}
    for name, members in (("Regulars", list(range(1, 9))), ("Big spenders", [6, 7, 8, 9, 10])):
        made = _ok(sb.http.post(f"/api/{account}/user-lists", json={"name": name}))["data"]
        _ok(sb.http.post(f"/api/{account}/user-lists/{made['id']}/users", json={"ids": members}))
        lists[name] = str(made["id"])
    photo = _ok(sb.http.post(f"/api/{account}/media/upload", files={"file": ("pic.png", media_files.png(64, 64))}))
    expected = 6  # Regulars (1-8) less Big spenders (6-10), and fan 11

    page = signed_in_page
    page.goto(f"/console/accounts/{account}/compose")
    expect(page.get_by_role("heading", name="Compose")).to_be_visible()
    page.get_by_label("Message text").fill("Something special for my regulars")
    page.get_by_role("group", name="Send to lists").get_by_label("Regulars").check()
    expect(page.get_by_test_id("audience-size")).to_have_text("8")  # htmx, no reload
    page.get_by_role("group", name="Leave out lists").get_by_label("Big spenders").check()
    expect(page.get_by_test_id("audience-size")).to_have_text("5")
    page.get_by_label("Single fans").fill("11")  # counted as it is typed, too
    expect(page.get_by_test_id("audience-size")).to_have_text(str(expected))
    page.get_by_label("Price in USD").fill("9.99")
    page.get_by_label(f"Attach #{photo['vault_id']}").check()
    screenshot(page, "compose")
    page.set_viewport_size({"width": 390, "height": 844})  # a phone: nothing wider than the screen
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.set_viewport_size({"width": 1280, "height": 900})

    page.get_by_role("button", name="Send", exact=True).click()
    page.wait_for_url(re.compile(rf"/console/accounts/{account}/campaigns/\d+$"))
    message_id = page.url.rsplit("/", 1)[-1]
    queue = _ok(sb.http.get(f"/api/{account}/mass-messaging/{message_id}"))["data"]["queue"]
    assert queue["userLists"] == [lists["Regulars"]] and queue["excludedLists"] == [lists["Big spenders"]]
    assert queue["userIds"] == [11]
    assert queue["price"] == "9.99" and queue["mediaFiles"] == [photo["vault_id"]]
    assert _delivered(sb, account, message_id)["sentCount"] == expected  # the workers were woken


def _delivered(sb: Sandbox, account: str, message_id: str, timeout: float = 30) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        queue = _ok(sb.http.get(f"/api/{account}/mass-messaging/{message_id}"))["data"]["queue"]
        if queue["isDone"] or time.monotonic() > deadline:
            return queue
        time.sleep(0.1)


def test_a_composed_ppv_goes_out_while_its_campaign_page_is_open(signed_in_page, console_server):
    """The issue's flow end to end: compose a PPV to a list with an excluded list, scheduled a few minutes
    ahead on a frozen clock; its campaign page shows it scheduled, the clock moves, and the delivery bar
    reaches done in the open page (no reload); the page's counts are the API's; then it is unsent."""
    sb = Sandbox(console_server)
    sb.reset()
    sb.freeze()
    account = sb.account
    _ok(sb.http.post(f"/api/{account}/fans", json=[{"id": n, "username": f"fan{n}"} for n in range(1, 41)]))
    for name, members in (("Everyone", list(range(1, 41))), ("Not today", list(range(31, 41)))):
        made = _ok(sb.http.post(f"/api/{account}/user-lists", json={"name": name}))["data"]
        _ok(sb.http.post(f"/api/{account}/user-lists/{made['id']}/users", json={"ids": members}))
    photo = _ok(sb.http.post(f"/api/{account}/media/upload", files={"file": ("pic.png", media_files.png(32, 32))}))
    soon = (sb.now() + timedelta(minutes=10)).strftime("%Y-%m-%dT%H:%M")

    page = signed_in_page
    page.goto(f"/console/accounts/{account}/compose")
    page.get_by_label("Message text").fill("Ten minutes from now")
    page.get_by_role("group", name="Send to lists").get_by_label("Everyone").check()
    page.get_by_role("group", name="Leave out lists").get_by_label("Not today").check()
    expect(page.get_by_test_id("audience-size")).to_have_text("30")
    page.get_by_label("Price in USD").fill("5")
    page.get_by_label(f"Attach #{photo['vault_id']}").check()
    page.get_by_label("Schedule for").fill(soon)
    page.get_by_role("button", name="Send", exact=True).click()
    page.wait_for_url(re.compile(rf"/console/accounts/{account}/campaigns/\d+$"))
    message_id = page.url.rsplit("/", 1)[-1]
    delivery = page.locator(f"#delivery-{message_id}")
    expect(delivery).to_have_attribute("data-state", "scheduled")
    page.evaluate("window.stillTheSamePage = true")  # gone if the page reloads or navigates

    assert sb.advance(minutes=11)["ran"]["sent"] == 1
    expect(delivery).to_have_attribute("data-state", "delivered", timeout=20_000)
    assert page.evaluate("window.stillTheSamePage") is True
    item = _ok(sb.http.get(f"/api/{account}/mass-messaging/{message_id}"))["data"]["queue"]
    assert item["sentCount"] == 30 and item["isDone"] is True
    expect(delivery).to_contain_text(f"{item['sentCount']} / {item['total']} sent")

    page.reload()
    expect(page.locator('[data-stat="sent"] strong')).to_have_text("30")
    page.get_by_role("button", name="Unsend…").click()
    page.get_by_role("button", name="Yes, unsend it").click()
    page.wait_for_url(re.compile(rf"/campaigns/{message_id}\?done="))
    expect(page.locator(f"#delivery-{message_id}")).to_contain_text("Unsent")
    assert _ok(sb.http.get(f"/api/{account}/mass-messaging/{message_id}"))["data"]["queue"]["isCanceled"] is True
