"""Every main console page, in Chromium at 1280 and at 390 px wide: nothing wider than the screen (wide
tables scroll inside themselves), every form control has a label, and the first Tab lands on the
"skip to content" link."""

from __future__ import annotations

import pytest

from massdm.testing.handle import Sandbox

WIDTHS = (1280, 390)
# Controls without a name a screen reader can say: no <label>, no aria-label(ledby), no title.
_UNLABELLED = """() => [...document.querySelectorAll('input, select, textarea')]
    .filter(e => e.type !== 'hidden' && e.type !== 'submit' && e.offsetParent !== null)
    .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label')
                 && !e.getAttribute('aria-labelledby') && !e.title)
    .map(e => e.outerHTML.slice(0, 120))"""


@pytest.fixture(scope="module")
def pages(console_server) -> list[str]:
    sb = Sandbox(console_server)
    sb.reset()
    sb.seed(60, seed=3)
    account = sb.account
    message = sb.client.mass_messaging.send(account, text="Layout check", user_lists=["fans"]).data.id
    made = sb.http.post("/api/webhooks", json={"endpoint_url": "http://127.0.0.1:9/hook",
                                              "events": ["messages.ppv.unlocked"], "account_scope": "global"})
    assert made.status_code == 201, made.text
    webhook = made.json()["data"]["id"]
    custom = sb.http.post(f"/api/{account}/user-lists", json={"name": "VIP"}).json()["data"]["id"]
    base = f"/console/accounts/{account}"
    return ["/console", f"{base}/campaigns", f"{base}/campaigns/{message}", f"{base}/compose", f"{base}/fans",
            f"{base}/lists", f"{base}/lists/{custom}", f"{base}/engagement", "/console/webhooks",
            f"/console/webhooks/{webhook}", "/console/webhooks/new", "/console/keys", "/console/sandbox"]


@pytest.mark.parametrize("width", WIDTHS)
def test_every_page_fits_the_screen_and_labels_its_controls(signed_in_page, pages, width, screenshot):
    page = signed_in_page
    page.set_viewport_size({"width": width, "height": 900})
    for path in pages:
        answer = page.goto(path)
        assert answer is not None and answer.status == 200, path
        assert page.evaluate("document.documentElement.scrollWidth") <= width, (path, width)
        assert page.evaluate(_UNLABELLED) == [], path
    if width == 390:
        page.goto(pages[1])
        screenshot(page, "campaigns-390")


def test_the_keyboard_reaches_the_content_first(signed_in_page, pages):
    page = signed_in_page
    page.goto(pages[1])
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Skip to content"
    page.keyboard.press("Enter")
    assert page.url.endswith("#main")
