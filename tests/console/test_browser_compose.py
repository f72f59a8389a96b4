"""In a real headless Chromium against a real `massdm serve --sandbox`: compose a PPV message to a list
less another list and a single fan, see the audience size change as they are picked, send it, land
on its campaign, and see the worker deliver it to that many fans."""

from __future__ import annotations

import re
import time

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
