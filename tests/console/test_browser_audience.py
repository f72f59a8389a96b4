"""In a real headless Chromium against a real `massdm serve --sandbox`: search seeded fans, create a list,
add and remove a member, and see the engagement page's charts agree with the API."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from massdm.testing.handle import Sandbox
from tests.media_files import png


def test_search_fans_build_a_list_and_see_engagement(signed_in_page, console_server, screenshot):
    sb = Sandbox(console_server)
    sb.reset()
    sb.freeze()
    sb.seed(60, seed=7)
    account = sb.account
    page = signed_in_page

    # Fans: the seeded audience, then a search for one of them.
    page.goto(f"/console/accounts/{account}/fans")
    expect(page.get_by_role("heading", name="Fans", level=1)).to_be_visible()
    listed = sb.http.get(f"/api/{account}/fans/all", params={"limit": 50}).json()["data"]["list"]
    expect(page.locator("tbody tr")).to_have_count(len(listed))
    screenshot(page, "fans", full_page=False)
    wanted = listed[3]["username"]
    page.get_by_label("Search fans by name or username").fill(wanted)
    page.get_by_role("button", name="Search").click()
    page.wait_for_url(re.compile(r"query="))
    matching = sb.http.get(f"/api/{account}/fans/all", params={"query": wanted}).json()["data"]["list"]
    expect(page.locator("tbody tr")).to_have_count(len(matching))
    expect(page.get_by_role("cell", name=f"@{wanted}", exact=True)).to_be_visible()

    # Lists: create one, add two fans by id, take one out again.
    page.get_by_role("link", name="Lists", exact=True).click()
    page.get_by_label("List name").fill("Weekend buyers")
    page.get_by_role("button", name="Create list").click()
    expect(page.get_by_role("heading", name="Weekend buyers", level=1)).to_be_visible()
    list_id = page.url.split("/lists/")[1].split("?")[0]
    first, second = listed[0], listed[1]
    page.get_by_label("Fan ids to add").fill(f"{first['id']}, {second['id']}")
    page.get_by_role("button", name="Add to list").click()
    expect(page.get_by_role("status")).to_have_text("Added 2 fans to this list.")
    expect(page.locator("tbody tr")).to_have_count(2)
    assert sb.http.get(f"/api/{account}/user-lists/{list_id}").json()["data"]["usersCount"] == 2
    page.get_by_role("button", name=f"Remove @{first['username']}").click()
    expect(page.get_by_role("status")).to_have_text(f"Removed fan {first['id']} from this list.")
    expect(page.locator("tbody tr")).to_have_count(1)
    users = sb.http.get(f"/api/{account}/user-lists/{list_id}/users").json()["data"]["list"]
    assert [u["id"] for u in users] == [second["id"]]
    page.get_by_label("Fan ids to add").fill("not-an-id")
    page.get_by_role("button", name="Add to list").click()
    expect(page.get_by_role("alert")).to_contain_text("The ids.0 field is invalid")
    page.get_by_role("link", name="Lists", exact=True).click()
    expect(page.locator(f'tr[data-list="{list_id}"] [data-testid="members"]')).to_have_text("1")
    screenshot(page, "lists")

    # Engagement: a paid message the simulated fans buy over a few sandbox hours.
    sb.engagement(seed=3, view_rate=0.9, purchase_rate=0.6, view_delay=(0.05, 1), purchase_delay=(0.01, 1))
    media = sb.http.post(f"/api/{account}/media/upload", files={"file": ("a.png", png(60, 60))}).json()["vault_id"]
    sent = sb.http.post(f"/api/{account}/mass-messaging", json={
        "text": "<p>New set, just for you</p>", "userLists": ["fans"], "price": 12, "mediaFiles": [media]})
    assert sent.status_code == 200, sent.text
    message = sent.json()["data"]["id"]
    sb.advance(hours=3)
    chart = sb.http.get(f"/api/{account}/engagement/messages/mass-messages/chart").json()["data"]
    bought = chart["group_messages_purchases"]
    assert bought["total"] > 0

    page.get_by_role("link", name="Engagement").click()
    expect(page.get_by_role("heading", name="Engagement", level=1)).to_be_visible()
    expect(page.get_by_role("img", name="Mass messages sent per day")).to_be_visible()
    expect(page.get_by_role("img", name="Purchases per day (USD)")).to_be_visible()
    expect(page.get_by_test_id("sent-total")).to_have_text(f"{chart['group_messages']['total']:,}")
    expect(page.get_by_test_id("purchases-total")).to_have_text(f"${bought['total']:,.2f}")
    expect(page.get_by_role("link", name="New set, just for you")).to_have_attribute(
        "href", f"/console/accounts/{account}/campaigns/{message}")
    screenshot(page, "engagement")

    page.get_by_label("Period").select_option("7")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url(re.compile(r"period=7"))
    expect(page.get_by_role("table", name="Mass messages sent per day").locator("tbody tr")).to_have_count(8)
