"""The campaign pages over the in-process app: the queue and sent lists, the live progress fragment, a
campaign's numbers and chart (equal to what the API answers), its buyers, and unsend or cancel behind a
confirmation and the session's CSRF token."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html import unescape

import pytest

from massdm.api.state import state_of
from massdm.services.accounts import create_api_key
from massdm.store.db import transaction
from tests.conftest import Caller
from tests.console.campaign_pages import (
    add_fans,
    api,
    bar,
    campaigns_url,
    chart_totals,
    fan_does,
    media_id,
    queue_item,
    row,
    row_ids,
    section,
    send,
    stat,
    text_of,
    worker,
)
from tests.console.conftest import ConsoleClient

T0 = datetime(2026, 3, 5, 10, 0, 0, tzinfo=UTC)
WINDOW = 7200  # the unsend window, seconds: shorter than a console session lives


@pytest.fixture
def settings(settings):
    return settings.model_copy(update={"unsend_window_seconds": WINDOW})


@pytest.fixture(autouse=True)
def _fixed_time(clock):
    clock.set(T0)


@pytest.fixture
def fan_headers(app, caller, clock):
    with transaction(state_of(app).engine) as connection:
        issued = create_api_key(connection, team=caller.team, name="fan app", account_ids=[], limit_minute=1000,
                                limit_day=None, now=clock.now(), scopes=frozenset({"fan"}))
    return {"Authorization": f"Bearer {issued.api_key}"}


# --- the list -------------------------------------------------------------------------------------

def test_the_list_shows_the_queue_and_the_sent_campaigns_newest_first_with_the_apis_numbers(
        console: ConsoleClient, client, app, caller, clock, fan_headers):
    add_fans(client, caller, [1, 2, 3], clock)
    free = send(client, caller, "<p>Hello <b>free</b> fans</p>")
    worker(app, clock).run_until_idle()
    clock.advance(timedelta(minutes=1))
    paid = send(client, caller, "Paid pic", price=9.99, mediaFiles=[media_id(client, caller)])
    worker(app, clock).run_until_idle()
    fan_does(client, fan_headers, 1, paid, "view")
    fan_does(client, fan_headers, 2, paid, "purchase")
    clock.advance(timedelta(minutes=1))
    later = send(client, caller, "Tomorrow", scheduledDate=(clock.now() + timedelta(days=1)).isoformat())
    clock.advance(timedelta(seconds=1))
    parked = send(client, caller, "Parked", saveForLater=True)
    clock.advance(timedelta(seconds=1))
    dropped = send(client, caller, "Dropped", scheduledDate=(clock.now() + timedelta(days=2)).isoformat())
    api(client, caller, "DELETE", f"/mass-messaging/{dropped}")

    page = console.get(campaigns_url(caller))
    assert page.status_code == 200
    queue, sent = section(page.text, "queue-heading"), section(page.text, "sent-heading")
    assert row_ids(queue) == [dropped, parked, later]  # newest first
    assert row_ids(sent) == [paid, free]
    # a day ahead, on a clock that does not jump: the bar asks every 30 s, not every second
    assert bar(queue, later) == {"state": "scheduled", "value": 0, "max": 1, "polls": 30,
                                 "label": "Scheduled · Goes out 2026-03-06 10:02 UTC"}
    assert bar(queue, parked)["state"] == "saved" and not bar(queue, parked)["polls"]
    assert "Saved for later" in text_of(row(queue, parked))
    assert bar(queue, dropped) == {"state": "canceled", "value": 0, "max": 1, "polls": False,
                                   "label": "Canceled · Canceled before it was sent"}
    overview = {i["id"]: i for i in api(client, caller, "GET", "/mass-messaging/overview")["data"]["items"]}
    for message_id in (paid, free):
        item = overview[message_id]
        assert bar(sent, message_id) == {"state": "delivered", "value": 3, "max": 3, "polls": False,
                                         "label": f"Delivered · {item['sentCount']} / 3 sent"}
    cells = [text_of(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", row(sent, paid), re.S)]
    assert cells[4:] == [str(overview[paid]["viewedCount"]), str(overview[paid]["purchasedCount"]), "$9.99"]
    assert (overview[paid]["viewedCount"], overview[paid]["purchasedCount"]) == (2, 1)  # a purchase is a view
    assert "Hello free fans" in text_of(row(sent, free)) and "Fans" in text_of(row(sent, free))
    assert f'href="/console/accounts/{caller.account}/campaigns/{paid}"' in row(sent, paid)
    assert caller.api_key not in page.text

    soon = send(client, caller, "In a moment", scheduledDate=(clock.now() + timedelta(seconds=40)).isoformat())
    assert bar(console.get(campaigns_url(caller)).text, soon)["polls"] == 1  # due within a minute: every second


def test_sent_campaigns_are_paged_by_the_apis_cursor(console: ConsoleClient, client, app, caller, clock):
    add_fans(client, caller, [1], clock)
    ids = []
    for n in range(23):
        ids.append(send(client, caller, f"Number {n}"))
        worker(app, clock).run_until_idle()
        clock.advance(timedelta(seconds=1))
    first = console.get(campaigns_url(caller)).text
    assert row_ids(section(first, "sent-heading")) == ids[::-1][:20]
    older = re.search(r'href="([^"]+)" rel="next">Older campaigns', first)
    assert older
    second = console.get(unescape(older.group(1))).text
    assert row_ids(section(second, "sent-heading")) == ids[::-1][20:]
    assert 'aria-labelledby="queue-heading"' not in second and "Older campaigns" not in second


def test_a_delivering_campaign_polls_its_progress_until_it_is_done(console: ConsoleClient, client, app, caller,
                                                                  clock):
    add_fans(client, caller, range(1, 8), clock)
    message_id = send(client, caller, "Step by step")
    steps = worker(app, clock, chunk_size=3)
    fragment = f"{campaigns_url(caller)}/{message_id}/progress"
    assert bar(console.get(fragment).text, message_id)["state"] == "waiting"
    steps.run_once()  # counts the audience and starts
    steps.run_once()  # the first chunk of 3
    seen = bar(console.get(fragment).text, message_id)
    item = queue_item(client, caller, message_id)
    assert (item["total"] - item["pending"], item["total"], item["isDone"]) == (3, 7, False)
    assert seen == {"state": "delivering", "value": 3, "max": 7, "polls": True, "label": "Delivering · 3 / 7 sent"}
    page = console.get(campaigns_url(caller)).text
    assert bar(section(page, "sent-heading"), message_id) == seen  # the list embeds the same fragment
    steps.run_until_idle()
    done = console.get(fragment)
    assert done.status_code == 200 and "<html" not in done.text  # a fragment, not a page
    assert bar(done.text, message_id) == {"state": "delivered", "value": 7, "max": 7, "polls": False,
                                          "label": "Delivered · 7 / 7 sent"}


# --- the campaign page -----------------------------------------------------------------------------

def test_the_campaign_page_shows_the_message_and_the_same_numbers_as_the_api(
        console: ConsoleClient, client, app, caller, clock, fan_headers):
    add_fans(client, caller, range(1, 6), clock)
    vip = api(client, caller, "POST", "/user-lists", json={"name": "VIP"})["data"]["id"]
    blocked = api(client, caller, "POST", "/user-lists", json={"name": "Do not disturb"})["data"]["id"]
    api(client, caller, "POST", f"/user-lists/{vip}/users", json={"ids": [1, 2, 3, 4]})
    api(client, caller, "POST", f"/user-lists/{blocked}/users", json={"ids": [4]})
    photo = media_id(client, caller)
    message_id = send(client, caller, "<p>Only for <b>VIPs</b></p>", userLists=[str(vip)],
                      excludedLists=[str(blocked)], price=12.5, mediaFiles=[photo], previews=[photo])
    worker(app, clock).run_until_idle()
    clock.advance(timedelta(minutes=20))
    fan_does(client, fan_headers, 1, message_id, "view")
    clock.advance(timedelta(minutes=30))
    fan_does(client, fan_headers, 2, message_id, "purchase")
    clock.advance(timedelta(minutes=10))
    fan_does(client, fan_headers, 3, message_id, "purchase")

    page = console.get(f"{campaigns_url(caller)}/{message_id}")
    assert page.status_code == 200
    html, words = page.text, text_of(page.text)
    item = queue_item(client, caller, message_id)
    top = api(client, caller, "GET", "/engagement/messages/top-message")["data"]["purchases"]
    assert top["id"] == message_id
    assert (stat(html, "sent"), stat(html, "viewed"), stat(html, "purchased")) == (
        str(item["sentCount"]), str(item["viewedCount"]), str(item["purchasedCount"])) == ("3", "3", "2")
    assert stat(html, "revenue") == f"${top['totalRevenueGenerated']}" == "$25.00"
    assert chart_totals(html) == {"delivered": item["sentCount"], "viewed": item["viewedCount"],
                                  "purchased": item["purchasedCount"]}
    assert "Only for VIPs" in words and "$12.50" in words
    assert "Lists VIP" in words and "Excluded lists Do not disturb" in words
    assert "offer.png" in words and "Free preview" in words
    assert bar(html, message_id)["state"] == "delivered"
    # the chart: an inline SVG (no script) with its caption, and its numbers in a table beside it
    figure = re.search(r'<figure class="chart">(.*?)</figure>', html, re.S).group(1)
    assert "<svg" in figure and "<script" not in figure and "per 5 minutes (UTC)" in figure
    buckets = re.findall(r"<tr><td>([\d: -]+)</td><td class=\"number\">(\d+)</td><td class=\"number\">(\d+)</td>"
                         r"<td class=\"number\">(\d+)</td></tr>", html)
    assert buckets[0] == ("2026-03-05 10:00", "3", "0", "0")
    assert buckets[-1] == ("2026-03-05 11:00", "0", "1", "1")  # fan 3 views (by buying) and buys at 11:00
    assert len(buckets) == 13  # every 5 minutes from 10:00 to 11:00, empty ones too
    # buyers: the API's, in purchase order
    api_buyers = api(client, caller, "GET", f"/engagement/messages/{message_id}/buyers")["data"]["list"]
    buyers = section(html, "buyers-heading")
    assert re.findall(r"@(fan\d+)", buyers) == [b["username"] for b in api_buyers] == ["fan2", "fan3"]
    assert "Unsend…" in words and "The unsend window closes in 1 h." in words
    assert "Fans it could not reach" not in words


def test_buyers_come_in_pages_of_twenty_in_the_apis_order(console: ConsoleClient, client, app, caller, clock,
                                                          fan_headers):
    add_fans(client, caller, range(1, 24), clock)
    message_id = send(client, caller, "Popular", price=3, mediaFiles=[media_id(client, caller)])
    worker(app, clock).run_until_idle()
    for fan in (*range(23, 10, -1), *range(1, 10)):  # 22 buyers, not in id order
        fan_does(client, fan_headers, fan, message_id, "purchase")
    url = f"{campaigns_url(caller)}/{message_id}"
    first = section(console.get(url).text, "buyers-heading")
    more = re.search(r'href="([^"]+)" rel="next">More buyers', first)
    assert more
    second = section(console.get(unescape(more.group(1))).text, "buyers-heading")
    api_buyers = api(client, caller, "GET", f"/engagement/messages/{message_id}/buyers", params={"limit": 100})
    expected = [b["username"] for b in api_buyers["data"]["list"]]
    assert re.findall(r"@(fan\d+)", first) + re.findall(r"@(fan\d+)", second) == expected
    assert len(re.findall(r"@(fan\d+)", first)) == 20 and "More buyers" not in second


def test_a_campaign_not_sent_yet_has_no_chart_and_can_be_canceled(console: ConsoleClient, client, caller, clock):
    add_fans(client, caller, [1], clock)
    message_id = send(client, caller, "Later", scheduledDate=(clock.now() + timedelta(hours=2)).isoformat())
    words = text_of(console.get(f"{campaigns_url(caller)}/{message_id}").text)
    assert "Nothing yet: the chart starts with its first delivery." in words
    assert "Cancel…" in words and "Unsend…" not in words and "Scheduled 2026-03-05 12:00 UTC" in words
    confirm = console.get(f"{campaigns_url(caller)}/{message_id}/unsend").text
    assert "Cancel campaign" in confirm and "It will not be sent." in text_of(confirm)
    done = console.post(f"{campaigns_url(caller)}/{message_id}/unsend")
    assert done.status_code == 303
    assert done.headers["location"] == f"{campaigns_url(caller)}/{message_id}?done=canceled"
    after = text_of(console.get(done.headers["location"]).text)
    assert "Canceled. It will not be sent." in after and "Cancel…" not in after
    item = queue_item(client, caller, message_id)
    assert (item["isCanceled"], item["status"]) == (True, "canceled")


# --- unsend -----------------------------------------------------------------------------------------

def test_unsend_asks_first_then_unsends_as_the_api_does(console: ConsoleClient, client, app, caller, clock):
    add_fans(client, caller, [1, 2], clock)
    message_id = send(client, caller, "Oops")
    worker(app, clock).run_until_idle()
    url = f"{campaigns_url(caller)}/{message_id}"
    confirm = console.get(f"{url}/unsend")
    assert confirm.status_code == 200
    assert "Unsend campaign" in confirm.text and f'action="{url}/unsend"' in confirm.text
    assert queue_item(client, caller, message_id)["isCanceled"] is False  # asking changes nothing
    done = console.post(f"{url}/unsend")
    assert (done.status_code, done.headers["location"]) == (303, f"{url}?done=unsent")
    page = console.get(done.headers["location"]).text
    assert "Unsent. Fans who did not buy it no longer see it" in text_of(page)
    assert bar(page, message_id) == {"state": "unsent", "value": 2, "max": 2, "polls": False,
                                     "label": "Unsent · 2 / 2 sent"}
    item = queue_item(client, caller, message_id)
    assert (item["isCanceled"], item["canUnsend"], item["sentCount"]) == (True, False, 2)
    again = console.post(f"{url}/unsend")  # the API's own refusal, shown on the confirmation page
    assert again.status_code == 422 and "This mass message is already canceled." in text_of(again.text)


def test_past_the_unsend_window_the_page_shows_the_apis_refusal(console: ConsoleClient, client, app, caller,
                                                                clock):
    add_fans(client, caller, [1], clock)
    message_id = send(client, caller, "Too late")
    worker(app, clock).run_until_idle()
    url = f"{campaigns_url(caller)}/{message_id}"
    confirm = console.get(f"{url}/unsend").text  # opened in time…
    clock.advance(timedelta(seconds=WINDOW + 1))  # …confirmed too late
    refused = console.post(f"{url}/unsend")
    api_refusal = client.delete(f"/api/{caller.account}/mass-messaging/{message_id}", headers=caller.headers)
    assert api_refusal.status_code == 422
    assert refused.status_code == 422
    assert api_refusal.json()["message"] in text_of(refused.text)
    assert "The unsend window of this mass message has closed." in text_of(refused.text)
    assert 'role="alert"' in refused.text and "Unsend campaign" in confirm
    assert queue_item(client, caller, message_id)["isCanceled"] is False
    assert "The unsend window of this campaign has closed." in text_of(console.get(url).text)


@pytest.mark.parametrize("csrf", [None, "forged"])
def test_unsend_without_the_sessions_csrf_token_is_refused_and_changes_nothing(console: ConsoleClient, client,
                                                                             app, caller, clock, csrf):
    add_fans(client, caller, [1], clock)
    message_id = send(client, caller, "Keep me")
    worker(app, clock).run_until_idle()
    refused = console.post(f"{campaigns_url(caller)}/{message_id}/unsend", csrf=csrf)
    assert refused.status_code == 403 and "This form has expired" in text_of(refused.text)
    assert queue_item(client, caller, message_id)["isCanceled"] is False


# --- who may see what ---------------------------------------------------------------------------

def test_a_limited_key_gets_404_for_another_accounts_campaigns(console_for, client, app, world, clock):
    team = world.team()
    mine, theirs = world.account(team, "Mine"), world.account(team, "Theirs")
    owner = Caller(world.key(team), theirs, team)
    add_fans(client, owner, [1], clock)
    message_id = send(client, owner, "Not for you")
    worker(app, clock).run_until_idle()
    limited = console_for(Caller(world.key(team, [mine]), mine, team))
    for path in (f"/console/accounts/{theirs}/campaigns", f"/console/accounts/{theirs}/campaigns/{message_id}",
                 f"/console/accounts/{theirs}/campaigns/{message_id}/progress",
                 f"/console/accounts/{theirs}/campaigns/{message_id}/unsend",
                 f"/console/accounts/{mine}/campaigns/{message_id}"):  # their message under my account
        answer = limited.get(path)
        assert answer.status_code == 404, path
        assert "Not for you" not in answer.text
    assert limited.post(f"/console/accounts/{theirs}/campaigns/{message_id}/unsend").status_code == 404
    assert limited.post(f"/console/accounts/{mine}/campaigns/{message_id}/unsend").status_code == 404
    assert queue_item(client, owner, message_id)["isCanceled"] is False
    assert limited.get(f"/console/accounts/{mine}/campaigns").status_code == 200


def test_another_teams_session_sees_none_of_its_campaigns(console: ConsoleClient, console_for, client, app, world,
                                                          caller, clock):
    add_fans(client, caller, [1], clock)
    message_id = send(client, caller, "Team secret")
    worker(app, clock).run_until_idle()
    other = console_for(world.caller())
    for path in ("", f"/{message_id}", f"/{message_id}/progress", f"/{message_id}/unsend"):
        answer = other.get(f"{campaigns_url(caller)}{path}")
        assert answer.status_code == 404 and "Team secret" not in answer.text, path
    own = other.get(f"/console/accounts/{other.caller.account}/campaigns/{message_id}")
    assert own.status_code == 404 and "Team secret" not in own.text
    assert "Team secret" in console.get(campaigns_url(caller)).text


@pytest.mark.parametrize("message_id", ["999999", "abc", "0", "-1"])
def test_an_unknown_campaign_is_a_404_page(console: ConsoleClient, caller, message_id):
    for path in ("", "/progress", "/unsend"):
        answer = console.get(f"{campaigns_url(caller)}/{message_id}{path}")
        assert answer.status_code == 404 and "Not found" in answer.text


def test_a_signed_out_browser_is_sent_to_sign_in(client, caller):
    answer = client.get(campaigns_url(caller), follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"].startswith("/console/sign-in?next=")
    polled = client.get(f"{campaigns_url(caller)}/1/progress", headers={"HX-Request": "true"},
                        follow_redirects=False)
    assert polled.status_code == 401 and polled.headers["HX-Redirect"].startswith("/console/sign-in")
