"""In a real headless Chromium against a real `massdm serve --sandbox`: a PPV campaign sent through the
SDK goes out while its list page is open, and its delivery bar reaches done without a reload; its page
shows the API's numbers; it is unsent after a confirmation."""

from __future__ import annotations

import re
from datetime import timedelta

from playwright.sync_api import expect

from massdm.testing.handle import Sandbox
from tests import media_files

PRICE = 7.5


def test_a_campaign_goes_out_live_shows_the_apis_numbers_and_is_unsent(signed_in_page, console_server, screenshot):
    sb = Sandbox(console_server)
    sb.reset()
    sb.freeze()
    sb.seed(300, seed=11, magic_fans=True)
    sb.engagement(seed=11, view_rate=0.6, purchase_rate=0.4, view_delay=(0.01, 0.5), purchase_delay=(0.01, 0.75))
    account, sdk = sb.account, sb.client
    now = sb.now().replace(microsecond=0)
    media = sdk.media.upload(account, file=("offer.png", media_files.png(64, 64), "image/png"))
    soon = (now + timedelta(minutes=10)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    message_id = sdk.mass_messaging.send(account, text="Tonight only: the full set", user_lists=["fans"],
                                         price=PRICE, media_files=[media.prefixed_id], scheduled_date=soon).data.id
    tomorrow = (now + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    sdk.mass_messaging.send(account, text="Tomorrow's good morning", user_lists=["fans"], scheduled_date=tomorrow)
    sdk.mass_messaging.send(account, text="Parked for the weekend", user_lists=["fans"], save_for_later=True)

    page = signed_in_page
    page.goto(f"/console/accounts/{account}/campaigns")
    page.evaluate("window.stillTheSamePage = true")  # gone if the page reloads or navigates
    address = page.url
    delivery = page.locator(f"#delivery-{message_id}")
    bar = page.get_by_role("progressbar", name=f"Delivery of campaign {message_id}")
    expect(delivery).to_have_attribute("data-state", "scheduled")
    expect(delivery).to_contain_text("Scheduled")

    advanced = sb.advance(minutes=11)  # the server sends it; the open page only polls its fragment
    assert advanced["ran"]["sent"] == 1
    expect(delivery).to_have_attribute("data-state", "delivered", timeout=20_000)
    item = sb.http.get(f"/api/{account}/mass-messaging/{message_id}").json()["data"]["queue"]
    assert item["isDone"] is True and item["sentCount"] > 0
    expect(bar).to_have_attribute("max", str(item["total"]))
    expect(bar).to_have_attribute("value", str(item["total"]))
    expect(delivery).to_contain_text(f"Delivered · {item['sentCount']} / {item['total']} sent")
    assert page.evaluate("window.stillTheSamePage") is True and page.url == address
    expect(delivery).not_to_have_attribute("hx-trigger", re.compile(".*"))  # done: it stopped polling

    sb.advance(minutes=50)  # simulated fans view and buy
    page.reload()  # now it is listed with the sent campaigns, with its numbers
    expect(page.locator(f"#campaign-{message_id}")).to_contain_text("Delivered")
    screenshot(page, "campaigns")
    page.get_by_role("link", name="Tonight only: the full set").click()
    page.wait_for_url(f"**/console/accounts/{account}/campaigns/{message_id}")
    item = sb.http.get(f"/api/{account}/mass-messaging/{message_id}").json()["data"]["queue"]
    top = sb.http.get(f"/api/{account}/engagement/messages/top-message").json()["data"]["purchases"]
    assert item["purchasedCount"] > 0 and top["id"] == message_id
    shown = {name: page.locator(f'[data-stat="{name}"] strong').inner_text()
             for name in ("sent", "viewed", "purchased", "revenue")}
    revenue = float(top["totalRevenueGenerated"])
    assert shown == {"sent": f"{item['sentCount']:,}", "viewed": f"{item['viewedCount']:,}",
                     "purchased": f"{item['purchasedCount']:,}", "revenue": f"${revenue:,.2f}"}
    expect(page.get_by_role("heading", name="Fans it could not reach")).to_be_visible()
    expect(page.locator("figure.chart svg")).to_be_visible()
    screenshot(page, "campaign")
    page.set_viewport_size({"width": 390, "height": 844})  # a phone: only tables scroll, not the page
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.set_viewport_size({"width": 1280, "height": 900})

    page.get_by_role("button", name="Unsend…").click()
    page.wait_for_url(f"**/campaigns/{message_id}/unsend")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Unsend campaign #{message_id}?")
    page.get_by_role("button", name="Yes, unsend it").click()
    page.wait_for_url(f"**/campaigns/{message_id}?done=unsent")
    expect(page.get_by_role("status")).to_contain_text("Unsent.")
    expect(page.locator(f"#delivery-{message_id}")).to_have_attribute("data-state", "unsent")
    after = sb.http.get(f"/api/{account}/mass-messaging/{message_id}").json()["data"]["queue"]
    assert (after["isCanceled"], after["canUnsend"], after["sentCount"]) == (True, False, item["sentCount"])
