"""The recipients ledger, GET /sandbox/v1/messages/{id}/recipients: every fan a message considered, once,
with what happened and why, in counts that agree with the message's own."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from typer.testing import CliRunner

from massdm.api.state import state_of
from massdm.cli import app as cli_app
from massdm.config import Settings
from massdm.services.accounts import create_api_key
from massdm.store.db import transaction
from tests.media_files import png


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"delivery_chunk_size": 4})


def add_fans(client, caller, clock, usernames: dict[int, str], **extra) -> None:
    since = (clock.now() - timedelta(days=3)).isoformat()
    body = [{"id": i, "username": name, "subscribedAt": since, **extra} for i, name in usernames.items()]
    response = client.post(f"/api/{caller.account}/fans", headers=caller.headers, json=body)
    assert response.status_code == 200, response.text


def new_list(client, caller, name: str, ids: list[int]) -> int:
    made = client.post(f"/api/{caller.account}/user-lists", headers=caller.headers, json={"name": name})
    assert made.status_code == 200, made.text
    list_id = made.json()["data"]["id"]
    added = client.post(f"/api/{caller.account}/user-lists/{list_id}/users", headers=caller.headers,
                        json={"ids": ids})
    assert added.status_code == 200, added.text
    return list_id


def send(client, caller, **body) -> int:
    response = client.post(f"/api/{caller.account}/mass-messaging", headers=caller.headers,
                           json={"text": "hello", **body})
    assert response.status_code == 200, response.text
    return response.json()["data"]["id"]


def advance(client, caller, seconds: float = 0) -> None:
    response = client.post("/sandbox/v1/clock/advance", headers=caller.headers, json={"seconds": seconds})
    assert response.status_code == 200, response.text


def ledger(client, caller, message_id: int, expect: int = 200, **params) -> dict:
    response = client.get(f"/sandbox/v1/messages/{message_id}/recipients", headers=caller.headers, params=params)
    assert response.status_code == expect, response.text
    return response.json()


def every_page(client, caller, message_id: int, limit: int, **params) -> list[dict]:
    fans, offset = [], 0
    while True:
        page = ledger(client, caller, message_id, limit=limit, offset=offset, **params)
        assert len(page["recipients"]) <= limit
        fans += page["recipients"]
        if page["nextOffset"] is None:
            return fans
        assert page["nextOffset"] == offset + limit
        offset = page["nextOffset"]


def fan_headers(app, caller, clock) -> dict[str, str]:
    with transaction(state_of(app).engine) as connection:
        issued = create_api_key(connection, team=caller.team, name="fan app", account_ids=[], limit_minute=1000,
                                limit_day=None, now=clock.now(), scopes=frozenset({"fan"}))
    return {"Authorization": f"Bearer {issued.api_key}"}


def queue(client, caller, message_id: int) -> dict:
    response = client.get(f"/api/{caller.account}/mass-messaging/{message_id}", headers=caller.headers)
    assert response.status_code == 200, response.text
    return response.json()["data"]["queue"]


@pytest.fixture
def seeded(client, caller, clock, app):
    """A paid message to VIP (fans 1-10 and the three magic fans 101-103) and userIds [900 (expired)],
    excluding Muted (fans 2 and 102); fan 3 then views it, fan 4 buys it. Fans 20-21 are in no list."""
    add_fans(client, caller, clock, {i: f"fan{i}" for i in [*range(1, 11), 20, 21]}
             | {101: "magic_blocked_1", 102: "magic_deleted_1", 103: "magic_restricted_1"})
    add_fans(client, caller, clock, {900: "gone"}, expiresAt=(clock.now() - timedelta(days=1)).isoformat())
    vip = new_list(client, caller, "VIP", [*range(1, 11), 101, 102, 103])
    muted = new_list(client, caller, "Muted", [2, 102])
    upload = client.post(f"/api/{caller.account}/media/upload", headers=caller.headers,
                         files={"file": ("a.png", png(40, 40))})
    assert upload.status_code == 200, upload.text
    message_id = send(client, caller, userLists=[str(vip)], excludedLists=[str(muted)], userIds=[900], price=5,
                      mediaFiles=[upload.json()["vault_id"]])
    advance(client, caller)
    headers = fan_headers(app, caller, clock)
    for fan, action in ((3, "view"), (4, "view"), (4, "purchase")):
        done = client.post(f"/fan/v1/{fan}/messages/{message_id}/{action}", headers=headers)
        assert done.status_code == 200, done.text
    return message_id, str(muted)


def test_every_fan_considered_is_listed_once_with_what_happened_and_why(client, caller, seeded):
    message_id, muted = seeded
    body = ledger(client, caller, message_id)
    by_fan = {r["fanId"]: r for r in body["recipients"]}
    assert sorted(by_fan) == [r["fanId"] for r in body["recipients"]]  # fan-id order
    assert set(by_fan) == {*range(1, 11), 101, 102, 103, 900}  # 20 and 21 were never considered
    assert {f: (r["status"], r["reason"]) for f, r in by_fan.items()} == {
        1: ("delivered", None), 2: ("skipped", "excluded"), 3: ("viewed", None), 4: ("purchased", None),
        **{f: ("delivered", None) for f in range(5, 11)},
        101: ("failed", "blocked"), 102: ("skipped", "excluded"), 103: ("failed", "restricted"),
        900: ("skipped", "expired"),
    }
    assert by_fan[2]["excludedBy"] == by_fan[102]["excludedBy"] == muted
    assert by_fan[1]["excludedBy"] is None and by_fan[101]["reasonText"] == "The fan has blocked the creator."
    assert by_fan[1]["deliveredAt"] is not None and by_fan[1]["viewedAt"] is None
    assert by_fan[4]["viewedAt"] is not None and by_fan[4]["purchasedAt"] is not None
    assert by_fan[101]["failedAt"] is not None and by_fan[101]["deliveredAt"] is None
    assert by_fan[900]["reasonText"].startswith("The fan's subscription was not active")
    assert body["counts"] == {"delivered": 7, "viewed": 1, "purchased": 1, "failed": 2, "skipped": 3, "pending": 0}
    assert body["reasons"] == {"blocked": 1, "excluded": 2, "expired": 1, "restricted": 1}
    assert (body["total"], body["matched"], body["nextOffset"], body["status"]) == (14, 14, None, None)


def test_the_ledger_counts_equal_the_message_counters(client, caller, seeded):
    message_id, _ = seeded
    body, item = ledger(client, caller, message_id), queue(client, caller, message_id)
    counts, reasons = body["counts"], body["reasons"]
    assert counts["delivered"] + counts["viewed"] + counts["purchased"] == item["sentCount"] == 9
    assert counts["viewed"] + counts["purchased"] == item["viewedCount"] == 2
    assert counts["purchased"] == item["purchasedCount"] == 1
    # total counts the audience after exclusions: the reached, the failed and those who could not receive
    in_audience = body["total"] - reasons.get("excluded", 0) - reasons.get("subscribed_before", 0)
    assert in_audience == item["total"] == 9 + 2 + 1 and item["pending"] == counts["pending"] == 0
    assert item["error"] == "2 fans could not receive it: 1 blocked the creator, 1 restricted."
    assert counts["failed"] == int(item["error"].split()[0])


def test_paging_covers_every_fan_exactly_once(client, caller, seeded):
    message_id, _ = seeded
    whole = ledger(client, caller, message_id, limit=1000)["recipients"]
    for limit in (1, 3, 5):
        assert every_page(client, caller, message_id, limit) == whole
    by_status = []
    for status, count in ledger(client, caller, message_id)["counts"].items():
        fans = every_page(client, caller, message_id, 2, status=status)
        assert len(fans) == count and all(f["status"] == status for f in fans)
        page = ledger(client, caller, message_id, status=status)
        assert (page["status"], page["matched"]) == (status, count)
        by_status += fans
    assert sorted(by_status, key=lambda f: f["fanId"]) == whole
    assert ledger(client, caller, message_id, offset=14)["recipients"] == []


def test_subscription_window_and_late_joiners_are_explained(client, caller, clock):
    add_fans(client, caller, clock, {1: "fan1", 2: "fan2"})
    old = (clock.now() - timedelta(days=40)).isoformat()
    client.post(f"/api/{caller.account}/fans", headers=caller.headers,
                json=[{"id": 3, "username": "veteran", "subscribedAt": old}])
    vip = new_list(client, caller, "VIP", [1, 2, 3])
    message_id = send(client, caller, userLists=[str(vip)], subscribedWithinLastDays=30)
    before = ledger(client, caller, message_id)  # not sent yet: a preview, judged now
    assert {r["fanId"]: r["status"] for r in before["recipients"]} == {1: "pending", 2: "pending", 3: "skipped"}
    advance(client, caller)
    add_fans(client, caller, clock, {4: "newcomer"})
    client.post(f"/api/{caller.account}/user-lists/{vip}/users", headers=caller.headers, json={"ids": [4]})
    client.delete(f"/api/{caller.account}/user-lists/{vip}/users/1", headers=caller.headers)
    after = {r["fanId"]: (r["status"], r["reason"]) for r in ledger(client, caller, message_id)["recipients"]}
    assert after == {1: ("delivered", None), 2: ("delivered", None), 3: ("skipped", "subscribed_before"),
                     4: ("skipped", "joined_late")}  # 1 left the list after receiving it: still listed


def test_a_canceled_message_lists_whom_it_never_reached(client, caller, clock):
    add_fans(client, caller, clock, {1: "fan1", 2: "magic_blocked_2"})
    message_id = send(client, caller, userLists=["fans"], scheduledDate=(clock.now() + timedelta(hours=1)).isoformat())
    response = client.delete(f"/api/{caller.account}/mass-messaging/{message_id}", headers=caller.headers)
    assert response.status_code == 200, response.text
    body = ledger(client, caller, message_id)
    assert {r["fanId"]: (r["status"], r["reason"]) for r in body["recipients"]} == {
        1: ("skipped", "canceled"), 2: ("skipped", "canceled")}


def test_only_the_keys_accounts_messages_have_a_ledger(client, caller, world, clock):
    add_fans(client, caller, clock, {1: "fan1"})
    message_id = send(client, caller, userLists=["fans"])
    stranger = world.caller()
    for who, wanted in ((stranger, message_id), (caller, 999_999)):
        response = client.get(f"/sandbox/v1/messages/{wanted}/recipients", headers=who.headers)
        assert response.status_code == 404, response.text
        body = response.json()
        assert body["error"] == "NOT_FOUND" and body["message"] == f"Mass message {wanted} was not found."
        assert body["_meta"]["_credits"]["used"] == 0
    assert client.get(f"/sandbox/v1/messages/{message_id}/recipients").status_code == 401


@pytest.mark.parametrize("params", [{"limit": 0}, {"limit": 1001}, {"offset": -1}, {"status": "sent"},
                                    {"limit": "ten"}])
def test_bad_paging_and_statuses_are_refused_by_name(client, caller, clock, params):
    add_fans(client, caller, clock, {1: "fan1"})
    message_id = send(client, caller, userLists=["fans"])
    body = ledger(client, caller, message_id, expect=422, **params)
    assert body["error"] == "VALIDATION_ERROR"
    assert any(next(iter(params)) in field for field in body["errors"]), body


def test_the_cli_twin_prints_the_same_ledger(client, caller, seeded, settings, monkeypatch):
    message_id, _ = seeded
    monkeypatch.setenv("MASSDM_DATABASE_URL", settings.database_url)
    result = CliRunner().invoke(cli_app, ["sandbox", "recipients", str(message_id), "--status", "failed",
                                          "--limit", "1", "--json"])
    assert result.exit_code == 0, result.output
    api = ledger(client, caller, message_id, status="failed", limit=1)
    printed = json.loads(result.output)
    assert {**printed, "judgedAt": None} == {**api, "judgedAt": None} and printed["nextOffset"] == 1
    text = CliRunner().invoke(cli_app, ["sandbox", "recipients", str(message_id)])
    assert text.exit_code == 0 and "failed 2" in text.output and "magic_blocked_1" in text.output
    missing = CliRunner().invoke(cli_app, ["sandbox", "recipients", "999999"])
    assert missing.exit_code == 1 and "was not found" in missing.output
