"""The sandbox page: each control changes what the control API reports, is refused with the API's own
messages (4xx, never a 500), needs the session's CSRF token, and a limited key controls only its
accounts; outside sandbox mode the page does not exist."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from massdm.app import create_app
from massdm.config import Settings
from massdm.console.routes import sandbox as sandbox_routes
from tests.conftest import Caller
from tests.console.campaign_pages import bar
from tests.console.conftest import ConsoleClient, sign_in

PAGE = "/console/sandbox"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"sandbox": True, "unsend_window_seconds": 7200, "webhooks_allow_private": True})


@pytest.fixture
def app(settings: Settings):
    return create_app(settings)  # sandbox mode: the store's driven clock


def api(console: ConsoleClient, method: str, path: str, expect: int = 200, **kwargs) -> dict:
    answer = console.http.request(method, path, headers=console.caller.headers, **kwargs)
    assert answer.status_code == expect, answer.text
    return answer.json()


def clock(console: ConsoleClient) -> tuple[datetime, bool]:
    body = api(console, "GET", "/sandbox/v1/clock")
    return datetime.fromisoformat(body["now"]), body["frozen"]


def fans(console: ConsoleClient, account: str) -> int:
    return len(api(console, "GET", f"/api/{account}/fans/all?limit=50")["data"]["list"])


def state(console: ConsoleClient) -> dict:
    """Everything a control could change, as the control API reports it."""
    account = console.caller.account
    return {"clock": api(console, "GET", "/sandbox/v1/clock"), "faults": api(console, "GET", "/sandbox/v1/faults"),
            "snapshots": api(console, "GET", "/sandbox/v1/snapshots"), "fans": fans(console, account),
            "engagement": api(console, "GET", f"/sandbox/v1/accounts/{account}/engagement")}


def text(page: str) -> str:
    """The page's words, tags and extra spaces gone."""
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


def alert(html: str) -> str:
    found = re.search(r'<div role="alert"[^>]*>(.*?)</div>', html, re.S)
    assert found, "the page shows no refusal"
    return text(found.group(1)).strip()


def report(html: str) -> str:
    found = re.search(r'<article role="status"[^>]*>(.*?)</article>\s*(?:<section|$)', html, re.S)
    assert found, "the page shows no report"
    return text(found.group(1)).strip()


def post(console: ConsoleClient, path: str, data: dict | None = None, expect: int = 200, **kwargs):
    answer = console.post(f"{PAGE}{path}", data, **kwargs)
    assert answer.status_code == expect, answer.text
    return answer


def freeze(console: ConsoleClient) -> datetime:
    post(console, "/clock/freeze")
    return clock(console)[0]


# --- the page and its clock ------------------------------------------------------------------------

def test_without_sandbox_mode_every_console_sandbox_path_is_a_404(settings, caller):
    plain = create_app(settings.model_copy(update={"sandbox": False}))
    paths = [(method, route.path) for route in sandbox_routes.router.routes for method in route.methods]
    assert len(paths) == 14
    with TestClient(plain) as http:
        signed_in = sign_in(http, caller)
        assert "/console/sandbox" not in signed_in.get("/console").text  # no link to it either
        for method, path in paths:
            concrete = path.replace("{fault_id}", "flt_1").replace("{name}", "baseline")
            answer = http.request(method, concrete, data={"csrf": signed_in.csrf}, follow_redirects=False)
            assert answer.status_code == 404, (method, concrete, answer.text)


def test_the_page_shows_the_clock_and_links_from_every_page(console):
    home = console.get("/console").text
    assert 'href="/console/sandbox"' in home
    page = console.get(PAGE)
    assert page.status_code == 200
    now, frozen = clock(console)
    assert not frozen and "Running" in page.text and "Freeze" in page.text
    shown = re.search(r'data-testid="clock-now">([^<]+)<', page.text).group(1)
    assert abs(datetime.strptime(shown, "%Y-%m-%d %H:%M:%S UTC").replace(tzinfo=UTC) - now) < timedelta(minutes=1)
    assert console.caller.api_key not in page.text


def test_freeze_then_advance_by_each_button_and_a_typed_duration_then_unfreeze(console):
    start = freeze(console)
    assert clock(console) == (start, True)
    assert "Frozen" in console.get(PAGE).text and "Unfreeze" in console.get(PAGE).text
    moved = timedelta(0)
    for by, step in (("1h", timedelta(hours=1)), ("1d", timedelta(days=1)), ("25h", timedelta(hours=25)),
                     ("7d", timedelta(days=7)), ("2h30m", timedelta(hours=2, minutes=30))):
        page = post(console, "/clock/advance", {"by": by})
        moved += step
        assert clock(console) == (start + moved, True), by
        assert console.get("/console").status_code == 200  # days later in the sandbox, still signed in
        assert f"The clock moved to {start + moved:%Y-%m-%d %H:%M:%S} UTC, frozen." in report(page.text)
    post(console, "/clock/run")
    assert clock(console)[1] is False


def test_set_the_clock_to_a_later_moment(console):
    start = freeze(console)
    later = (start + timedelta(days=2)).replace(microsecond=0)
    post(console, "/clock/set", {"now": later.strftime("%Y-%m-%dT%H:%M:%S")})  # as the page's input sends it
    assert clock(console) == (later, True)
    zoned = later + timedelta(hours=3)
    post(console, "/clock/set", {"now": zoned.astimezone(UTC).isoformat()})
    assert clock(console) == (zoned, True)


def test_an_advance_sends_a_message_scheduled_for_tomorrow_and_reports_what_ran(console):
    account = console.caller.account
    post(console, "/seed", {"account": account, "fans": "20", "seed": "7"})
    start = freeze(console)
    tomorrow = start + timedelta(days=1)
    sent = api(console, "POST", f"/api/{account}/mass-messaging",
               json={"text": "Tomorrow only", "userLists": ["fans"], "scheduledDate": tomorrow.isoformat()})["data"]
    page = post(console, "/clock/advance", {"by": "25h"})
    queue = api(console, "GET", f"/api/{account}/mass-messaging/{sent['id']}")["data"]["queue"]
    assert queue["isDone"] is True and queue["sentCount"] > 0
    shown = report(page.text)
    assert "1 messages sent" in shown and f"{queue['sentCount']} delivered" in shown


def test_a_campaign_scheduled_far_ahead_keeps_asking_every_second_where_the_clock_can_jump(console):
    account = console.caller.account
    post(console, "/seed", {"account": account, "fans": "5", "seed": "7"})
    start = freeze(console)
    later = api(console, "POST", f"/api/{account}/mass-messaging",
                json={"text": "Next week", "userLists": ["fans"],
                      "scheduledDate": (start + timedelta(days=7)).isoformat()})["data"]["id"]
    listing = console.get(f"/console/accounts/{account}/campaigns").text
    assert bar(listing, later)["state"] == "scheduled"
    assert bar(listing, later)["polls"] == 1  # an advance on the sandbox page sends it: the bar shows it at once


def test_clock_refusals_are_the_sandbox_s_messages_and_change_nothing(console):
    start = freeze(console)
    page = post(console, "/clock/advance", {"by": "soon"}, expect=422)
    assert alert(page.text) == ("'soon' is not a duration: write seconds (3600) or numbers with units s, m, h, d, w "
                                "(90m, 2h, 1d12h).")
    assert 'value="soon" aria-invalid="true"' in page.text  # what was typed stays
    earlier = start - timedelta(hours=1)
    page = post(console, "/clock/set", {"now": earlier.astimezone(UTC).isoformat()}, expect=422)
    assert alert(page.text).startswith("The clock only moves forward:")
    page = post(console, "/clock/set", {"now": "tomorrow"}, expect=422)
    assert "is not a moment" in alert(page.text)
    page = post(console, "/clock/advance", {"by": "3651d"}, expect=422)
    assert alert(page.text) == "The clock moves at most 3650 days in one call."
    assert clock(console) == (start, True)


# --- seed, simulated fans ----------------------------------------------------------------------------

def test_seed_fills_the_account_and_reports_what_it_made(console):
    account = console.caller.account
    page = post(console, "/seed", {"account": account, "fans": "30", "seed": "7", "magicFans": "true"})
    assert fans(console, account) == 39  # 30 and 3 magic fans of each kind
    shown = report(page.text)
    assert f"Seeded 30 fans into the account {account} with seed 7" in shown
    assert "magic fans 9" in shown and "list “VIP”" in shown
    again = post(console, "/seed", {"account": account, "fans": "30", "seed": "7"}, expect=409)
    assert "seeding never changes a fan that exists" in alert(again.text)
    assert fans(console, account) == 39


def test_seed_into_a_new_account_takes_a_key_of_every_account(console):
    page = post(console, "/seed", {"account": "", "fans": "5", "seed": "3"})
    created = re.search(r"into a new account (acct_\w+)", report(page.text)).group(1)
    assert fans(console, created) == 5
    assert "Sandbox 3" in console.get(PAGE).text  # the new account is one the key controls


def test_simulated_fans_settings_are_saved_and_shown(console):
    account = console.caller.account
    page = console.get(PAGE).text
    row = re.search(rf'data-testid="engagement-{account}">(.*?)</tr>', page, re.S).group(1)
    assert text(row).split() == ["Creator", "no", "0", "0.35", "0.1", "0.05–48.0", "0.01–6.0"]  # the defaults, off
    post(console, "/engagement", {"account": account, "enabled": "true", "seed": "7", "viewRate": "0.5",
                                  "purchaseRate": "0.2", "viewDelay.minHours": "1", "viewDelay.maxHours": "2",
                                  "purchaseDelay.minHours": "", "purchaseDelay.maxHours": ""})
    assert api(console, "GET", f"/sandbox/v1/accounts/{account}/engagement") == {
        "account": account, "enabled": True, "seed": 7, "viewRate": 0.5, "purchaseRate": 0.2,
        "viewDelay": {"minHours": 1.0, "maxHours": 2.0}, "purchaseDelay": {"minHours": 0.01, "maxHours": 6.0}}
    row = re.search(rf'data-testid="engagement-{account}">(.*?)</tr>', console.get(PAGE).text, re.S).group(1)
    assert text(row).split() == ["Creator", "yes", "7", "0.5", "0.2", "1.0–2.0", "0.01–6.0"]
    post(console, "/engagement", {"account": account})  # the box unticked: off, the rest defaults
    assert api(console, "GET", f"/sandbox/v1/accounts/{account}/engagement")["enabled"] is False


@pytest.mark.parametrize(("path", "form", "api_call"), [
    ("/engagement", {"viewRate": "2"}, ("PUT", "/sandbox/v1/accounts/{account}/engagement", {"viewRate": 2})),
    ("/engagement", {"viewDelay.minHours": "5", "viewDelay.maxHours": "1"},
     ("PUT", "/sandbox/v1/accounts/{account}/engagement", {"viewDelay": {"minHours": 5, "maxHours": 1}})),
    ("/engagement", {"viewDelay.minHours": "5"},
     ("PUT", "/sandbox/v1/accounts/{account}/engagement", {"viewDelay": {"minHours": 5}})),
    ("/seed", {"fans": "2000000"}, ("POST", "/sandbox/v1/seed", {"fans": 2000000})),
    ("/seed", {"fans": "1.5"}, ("POST", "/sandbox/v1/seed", {"fans": 1.5})),
    ("/faults", {"target": "call", "path": "/api/{account}/fans", "status": "418"},
     ("POST", "/sandbox/v1/faults", {"path": "/api/{account}/fans", "status": 418})),
    ("/faults", {"target": "call", "path": "/api/{account}/fans", "status": "500", "times": "2", "probability": "0.5"},
     ("POST", "/sandbox/v1/faults", {"path": "/api/{account}/fans", "status": 500, "times": 2, "probability": 0.5})),
    ("/faults", {"target": "call", "path": "/nowhere", "status": "500"},
     ("POST", "/sandbox/v1/faults", {"path": "/nowhere", "status": 500})),
    ("/faults", {"target": "call", "path": "/api/{account}/fans", "method": "BREW", "status": "500"},
     ("POST", "/sandbox/v1/faults", {"path": "/api/{account}/fans", "method": "BREW", "status": 500})),
    ("/faults", {"target": "webhook", "webhook": "wh_nope", "mode": "status"},
     ("POST", "/sandbox/v1/faults", {"webhook": "wh_nope", "mode": "status"})),
    ("/snapshots", {"name": "not a name!"}, ("POST", "/sandbox/v1/snapshots", {"name": "not a name!"})),
    ("/snapshots/nope/restore", {"confirm": "yes"}, ("POST", "/sandbox/v1/snapshots/nope/restore", None)),
    ("/snapshots/nope/delete", {}, ("DELETE", "/sandbox/v1/snapshots/nope", None)),
    ("/faults/flt_nope/delete", {}, ("DELETE", "/sandbox/v1/faults/flt_nope", None)),
])
def test_a_refused_control_shows_the_control_api_s_messages_at_its_status(console, path, form, api_call):
    account = console.caller.account
    freeze(console)
    before = state(console)
    method, api_path, json = api_call
    answer = console.http.request(method, api_path.replace("{account}", account), headers=console.caller.headers,
                                  json=json)
    expected = answer.json()
    page = post(console, path, {"account": account, **form}, expect=answer.status_code)
    messages = [m for ms in (expected.get("errors") or {}).values() for m in ms] or [expected["message"]]
    assert alert(page.text) == text(" ".join(messages)).strip()
    assert state(console) == before


def test_a_form_field_that_is_no_number_is_refused_naming_it(console):
    page = post(console, "/engagement", {"account": console.caller.account, "viewRate": "lots"}, expect=422)
    assert alert(page.text) == "The viewRate field is invalid: input should be a valid number."
    assert 'value="lots" aria-invalid="true"' in page.text


# --- faults --------------------------------------------------------------------------------------------

def test_faults_are_added_listed_deleted_and_cleared(console):
    post(console, "/faults", {"target": "call", "method": "POST", "path": "/api/{account}/mass-messaging",
                              "status": "429", "times": "2", "latencyMs": "", "retryAfter": "3"})
    post(console, "/faults", {"target": "call", "method": "", "path": "/api/{account}/fans", "status": "503",
                              "probability": "0.25", "latencyMs": "100"})
    listed = api(console, "GET", "/sandbox/v1/faults")["faults"]
    assert [(f["method"], f["path"], f["status"], f["times"], f["probability"], f["latencyMs"], f["retryAfter"])
            for f in listed] == [("POST", "/api/{account}/mass-messaging", 429, 2, None, 0, 3.0),
                                 (None, "/api/{account}/fans", 503, None, 0.25, 100, None)]
    page = console.get(PAGE).text
    assert all(f'data-testid="fault-{f["id"]}"' in page for f in listed)
    assert "2 times (2 left)" in page and "25% of calls" in page
    post(console, f"/faults/{listed[0]['id']}/delete")
    assert [f["id"] for f in api(console, "GET", "/sandbox/v1/faults")["faults"]] == [listed[1]["id"]]
    post(console, "/faults", {"target": "call", "path": "/api/{account}/user-lists", "status": "500"})
    page = post(console, "/faults/clear")
    assert "Cleared 2 faults." in report(page.text)
    assert api(console, "GET", "/sandbox/v1/faults")["faults"] == []


def test_a_webhook_fault_is_added_for_one_of_the_team_s_webhooks(console, receiver):
    webhook = api(console, "POST", "/api/webhooks", expect=201, json={
        "endpoint_url": receiver.url, "events": ["messages.sent"], "account_scope": "global"})["data"]
    post(console, "/faults", {"target": "webhook", "webhook": webhook["id"], "mode": "timeout", "times": "1"})
    [fault] = api(console, "GET", "/sandbox/v1/faults")["faults"]
    assert (fault["webhook"], fault["mode"], fault["times"], fault["path"]) == (webhook["id"], "timeout", 1, None)
    assert f"deliveries to <code>{webhook['id']}</code>" in console.get(PAGE).text


# --- reset and snapshots ---------------------------------------------------------------------------------

def test_reset_needs_the_box_ticked_then_empties_the_account(console):
    account = console.caller.account
    post(console, "/seed", {"account": account, "fans": "10", "seed": "1"})
    page = post(console, "/reset", {"account": account}, expect=422)
    assert alert(page.text) == "Tick the box to confirm: a reset deletes the sandbox data for good."
    assert fans(console, account) == 10
    page = post(console, "/reset", {"account": account, "confirm": "yes"})
    assert fans(console, account) == 0
    assert f"Reset {account}:" in report(page.text) and "fans 10" in report(page.text)


def test_a_whole_team_reset_puts_the_clock_back_running(console):
    freeze(console)
    post(console, "/clock/advance", {"by": "7d"})
    post(console, "/reset", {"account": "", "confirm": "yes"})
    now, frozen = clock(console)
    assert not frozen and abs(now - datetime.now(UTC)) < timedelta(minutes=1)


def test_snapshots_are_saved_listed_restored_and_deleted(console):
    account = console.caller.account
    post(console, "/seed", {"account": account, "fans": "12", "seed": "2"})
    start = freeze(console)
    page = post(console, "/snapshots", {"name": "seeded"})
    assert "Snapshot seeded saved:" in report(page.text)
    [saved] = api(console, "GET", "/sandbox/v1/snapshots")["snapshots"]
    assert saved["name"] == "seeded" and saved["sizes"]["fans"] == 12
    assert 'data-testid="snapshot-seeded"' in console.get(PAGE).text
    post(console, "/reset", {"confirm": "yes"})
    assert fans(console, account) == 0
    page = post(console, "/snapshots/seeded/restore", {}, expect=422)  # the box unticked
    assert alert(page.text).startswith("Tick the box to confirm")
    post(console, "/snapshots/seeded/restore", {"confirm": "yes"})
    assert fans(console, account) == 12 and clock(console) == (start, True)
    page = post(console, "/snapshots", {"name": "seeded"}, expect=409)
    assert alert(page.text) == "A snapshot named seeded already exists; delete it first to save another under it."
    post(console, "/snapshots/seeded/delete")
    assert api(console, "GET", "/sandbox/v1/snapshots")["snapshots"] == []


# --- CSRF and who may do what ---------------------------------------------------------------------------

CONTROLS = [
    ("/clock/freeze", {}), ("/clock/run", {}), ("/clock/advance", {"by": "1h"}), ("/clock/set", {"now": "{tomorrow}"}),
    ("/seed", {"account": "{account}", "fans": "5"}), ("/engagement", {"account": "{account}", "enabled": "true"}),
    ("/faults", {"target": "call", "path": "/api/{account}/fans", "status": "500"}),
    ("/faults/clear", {}), ("/faults/{fault}/delete", {}),
    ("/reset", {"account": "{account}", "confirm": "yes"}),
    ("/snapshots", {"name": "other"}), ("/snapshots/kept/restore", {"confirm": "yes"}), ("/snapshots/kept/delete", {}),
]


def test_every_control_needs_the_session_s_csrf_token(console):
    account = console.caller.account
    post(console, "/seed", {"account": account, "fans": "5", "seed": "9"})
    post(console, "/snapshots", {"name": "kept"})
    post(console, "/faults", {"target": "call", "path": "/api/{account}/vault", "status": "502"})
    fault = api(console, "GET", "/sandbox/v1/faults")["faults"][0]["id"]
    tomorrow = (freeze(console) + timedelta(days=1)).isoformat()
    before = state(console)
    tested = set()
    for path, form in CONTROLS:  # each with what it would act on
        path = path.replace("{fault}", fault)
        data = {k: account if v == "{account}" else tomorrow if v == "{tomorrow}" else v for k, v in form.items()}
        for csrf in (None, "wrong"):
            answer = console.post(f"{PAGE}{path}", data, csrf=csrf)
            assert answer.status_code == 403, (path, csrf, answer.text)
            assert "did not come from this console" in answer.text
        assert state(console) == before, path
        tested.add(re.sub(r"flt_\w+", "{fault_id}", path).replace("kept", "{name}"))
    posts = {route.path.removeprefix(PAGE) for route in sandbox_routes.router.routes if "POST" in route.methods}
    assert tested == posts  # every form of the page


def test_a_key_limited_to_one_account_controls_only_that_one(console_for, world, caller):
    team = caller.team
    other = world.account(team, "Other Creator")
    limited = console_for(Caller(world.key(team, [caller.account]), caller.account, team))
    full = console_for(caller)
    for account in (caller.account, other):
        post(full, "/seed", {"account": account, "fans": "8", "seed": "4"})
    page = limited.get(PAGE).text
    assert f'data-testid="engagement-{caller.account}"' in page and other not in page
    assert "Snapshots are of the whole team" in page and "Save snapshot" not in page

    refused = post(limited, "/engagement", {"account": other, "enabled": "true"}, expect=404)
    assert alert(refused.text) == f"Account {other} was not found."
    assert api(full, "GET", f"/sandbox/v1/accounts/{other}/engagement")["enabled"] is False
    assert alert(post(limited, "/seed", {"account": other, "fans": "5", "seed": "99"}, expect=404).text) == \
        f"Account {other} was not found."
    assert alert(post(limited, "/seed", {"account": "", "fans": "5"}, expect=422).text).startswith(
        "This key may use only some of the team's accounts")
    assert alert(post(limited, "/reset", {"account": other, "confirm": "yes"}, expect=404).text) == \
        f"Account {other} was not found."
    assert alert(post(limited, "/snapshots", {"name": "mine"}, expect=404).text) == \
        "Snapshots are of the whole team: use a key of every account of the team."
    assert fans(full, other) == 8

    post(limited, "/reset", {"account": "", "confirm": "yes"})  # everything it controls: its one account
    assert (fans(full, caller.account), fans(full, other)) == (0, 8)
    post(limited, "/engagement", {"account": caller.account, "enabled": "true", "seed": "5"})
    assert api(full, "GET", f"/sandbox/v1/accounts/{caller.account}/engagement")["seed"] == 5


def test_a_signed_out_browser_is_sent_to_sign_in(client):
    answer = client.get(PAGE, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == f"/console/sign-in?next={PAGE}"
    assert client.post(f"{PAGE}/clock/freeze", follow_redirects=False).status_code == 303
