"""Seeded audiences: POST /sandbox/v1/seed and `massdm sandbox seed` make the fans domain.seed_profile says,
byte for byte, and every read of the account (listings, system lists, filters, custom lists) agrees with
an independent computation of those fans in Python."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import event, select
from typer.testing import CliRunner

from massdm.api.state import state_of
from massdm.cli import app as cli_app
from massdm.domain import seed_profile as sp
from massdm.domain.hashing import P
from massdm.domain.magic_fans import kind_of
from massdm.store.tables import fans as fans_table
from massdm.store.tables import user_list_members

_COLUMNS = [c for c in fans_table.c if c.name != "account_id"]


def _seed(client, caller, **body):
    return client.post("/sandbox/v1/seed", headers=caller.headers, json=body)


def _seeded(client, caller, **body) -> dict:
    response = _seed(client, caller, **body)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture
def now(client, caller) -> datetime:
    frozen = client.post("/sandbox/v1/clock", headers=caller.headers, json={"frozen": True})
    assert frozen.status_code == 200, frozen.text
    return datetime.fromisoformat(frozen.json()["now"]).replace(microsecond=0)


def _rows(app, account: str) -> list[tuple]:
    with state_of(app).engine.connect() as c:
        return [tuple(r) for r in c.execute(select(*_COLUMNS).where(fans_table.c.account_id == account)
                                            .order_by(fans_table.c.id))]


def _expected(seed: int, count: int) -> list[sp.SeededFan]:
    return [sp.seeded_fan(seed, n, sp.SeedProfile()) for n in range(1, count + 1)]


def _walk(client, caller, account: str, path: str) -> list[int]:
    first = f"/api/{account}{path}{'&' if '?' in path else '?'}limit=50"
    url, seen = first, []
    while url:
        body = client.get(url, headers=caller.headers)
        assert body.status_code == 200, body.text
        page = body.json()
        seen += [u["id"] for u in page["data"]["list"]]
        if "_pagination" in page:  # the fan listings link their next page; a list's users give an offset
            url = (page["_pagination"]["next_page"] or "").replace("http://massdm.test", "") or None
        else:
            offset = page["data"]["nextOffset"]
            url = None if offset is None else f"{first}&offset={offset}"
    return seen


def test_a_seed_is_the_fans_its_rule_says_and_the_same_seed_makes_the_same_rows(app, client, caller, now):
    first = _seeded(client, caller, fans=1500, seed=7)
    assert first["accountCreated"] is True and first["seed"] == 7 and first["fans"] == 1500
    assert first["fanIds"] == {"first": sp.ID_BASE + 1, "last": sp.ID_BASE + 1500}
    assert datetime.fromisoformat(first["now"]) == now
    rows = _rows(app, first["account"])
    assert len(rows) == 1500
    for row, fan in zip(rows, _expected(7, 1500), strict=True):  # the SQL draws what the Python rule draws
        got = dict(zip((c.name for c in _COLUMNS), row, strict=True))
        assert (got["id"], got["username"], got["name"]) == (fan.id, fan.username, fan.name)
        assert got["subscribed_at"] == now - timedelta(seconds=fan.subscribed_offset)
        assert got["expires_at"] == now + timedelta(seconds=fan.expires_offset)
        assert got["term_seconds"] == (got["expires_at"] - got["subscribed_at"]).total_seconds()
        assert [got[k] for k in ("auto_renew", "following", "tagged", "muted", "friend", "online")] == \
            [fan.auto_renew, fan.following, fan.tagged, fan.muted, fan.friend, fan.online]
        assert (got["purchases_cents"], got["tips_cents"], got["subscriptions_cents"], got["total_spent_cents"]) == \
            (0, fan.tips_cents, fan.subscriptions_cents, fan.tips_cents + fan.subscriptions_cents)
        assert got["last_purchase_at"] is None and got["created_at"] == now
        assert got["last_seen_at"] == now - timedelta(seconds=fan.seen_offset)

    again = _seeded(client, caller, fans=1500, seed=7)
    other = _seeded(client, caller, fans=1500, seed=8)
    assert again["account"] != first["account"]
    assert _rows(app, again["account"]) == rows  # byte for byte, ids included
    different = _rows(app, other["account"])
    assert [r[0] for r in different] == [r[0] for r in rows]  # ids are the index's
    assert sum(a != b for a, b in zip(different, rows, strict=True)) > 1400  # everything else is drawn anew
    assert first["lists"] == [{**x, "id": y["id"]} for x, y in zip(again["lists"], first["lists"], strict=True)]


def test_the_distributions_are_the_documented_ones(app, client, caller, now):
    profile = {"expiredShare": 0.5, "recentShare": 0.1, "autoRenewShare": 0.9, "followingShare": 0,
               "mutedShare": 1, "spendTiers": {"none": 0, "low": 0, "mid": 0, "whale": 1},
               "subscriptionPriceUsd": 4.99, "maxAgeDays": 60, "customLists": False}
    body = _seeded(client, caller, fans=4000, seed=3, profile=profile)
    assert body["lists"] == [] and body["profile"]["expiredShare"] == 0.5 and body["profile"]["taggedShare"] == 0.05
    rows = [dict(zip((c.name for c in _COLUMNS), r, strict=True)) for r in _rows(app, body["account"])]
    expired = [r for r in rows if r["expires_at"] <= now]
    active = [r for r in rows if r["expires_at"] > now]
    assert 1850 < len(expired) < 2150
    assert all(not r["auto_renew"] for r in expired) and sum(r["auto_renew"] for r in active) / len(active) > 0.86
    recent = [r for r in active if r["subscribed_at"] >= now - timedelta(hours=24)]
    assert 0.07 < len(recent) / len(active) < 0.13
    assert all(now - r["subscribed_at"] <= timedelta(days=60) for r in rows)
    assert all(r["muted"] and not r["following"] for r in rows)
    assert all(20_001 <= r["tips_cents"] <= 500_000 for r in rows)
    assert all(r["subscriptions_cents"] % 499 == 0 and r["subscriptions_cents"] >= 499 for r in rows)


def test_last_seen_is_drawn_as_documented_and_shown_as_the_user_objects_last_seen(app, client, caller, now):
    body = _seeded(client, caller, fans=3000, seed=5, magicFans=True, profile={"onlineShare": 0.1})
    rows = [dict(zip((c.name for c in _COLUMNS), r, strict=True)) for r in _rows(app, body["account"])]
    magic_ids = {m["id"] for m in body["magicFans"]}
    seeded = [r for r in rows if r["id"] not in magic_ids]
    assert all(r["last_seen_at"] is None for r in rows if r["id"] in magic_ids)  # not known
    online = [r for r in seeded if r["online"]]
    assert 0.08 < len(online) / len(seeded) < 0.12 and all(r["last_seen_at"] == now for r in online)
    offline = [r for r in seeded if not r["online"]]
    assert all(r["subscribed_at"] <= r["last_seen_at"] < now for r in offline)  # never before subscribing
    ago = {True: [], False: []}
    for r in offline:
        ago[r["expires_at"] <= now].append((now - r["last_seen_at"]).total_seconds())
    assert max(ago[False]) <= sp.SEEN_ACTIVE_SPAN and max(ago[True]) <= sp.SEEN_ENDED_SPAN
    assert max(ago[True]) > sp.SEEN_ACTIVE_SPAN  # ended fans were seen longer ago
    for spans in ago.values():  # the square of a uniform draw: a quarter within 1/16 of the span
        spans.sort()
        assert spans[len(spans) // 2] < spans[-1] / 3
    assert min(min(a) for a in ago.values()) >= sp.MIN_SEEN_OFFSET  # every subscription is a minute old or more

    shown = {}
    for path in ("/fans/all?limit=50", "/fans/all?limit=50&offset=50"):
        page = client.get(f"/api/{body['account']}{path}", headers=caller.headers)
        assert page.status_code == 200, page.text
        shown |= {u["id"]: u["lastSeen"] for u in page.json()["data"]["list"]}
    by_id = {r["id"]: r for r in rows}
    assert len(shown) == 100
    for fan_id, last_seen in shown.items():
        stored = by_id[fan_id]["last_seen_at"]
        assert (last_seen is None) if stored is None else datetime.fromisoformat(last_seen) == stored


def test_every_read_of_the_account_agrees_with_the_fans_computed_apart(app, client, caller, now):
    body = _seeded(client, caller, fans=1200, seed=11, magicFans=True)
    account = body["account"]
    fans = _expected(11, 1200)
    magic = body["magicFans"]
    assert [(m["username"], m["reason"]) for m in magic] == [(m.username, m.reason) for m in sp.magic_fans()]
    assert all(kind_of(m["username"]).reason == m["reason"] for m in magic)
    magic_ids = {m["id"] for m in magic}

    def active(f: sp.SeededFan) -> bool:
        return f.expires_offset > 0

    expected_all = {f.id for f in fans} | magic_ids
    assert set(_walk(client, caller, account, "/fans/all")) == expected_all
    assert len(_walk(client, caller, account, "/fans/all")) == len(expected_all)
    assert set(_walk(client, caller, account, "/fans/active")) == {f.id for f in fans if active(f)} | magic_ids
    assert set(_walk(client, caller, account, "/fans/expired")) == {f.id for f in fans if not active(f)}
    spenders = {f.id for f in fans if f.tips_cents + f.subscriptions_cents >= 100_00}
    assert spenders and set(_walk(client, caller, account, "/fans/all?filter[total_spent]=100")) == spenders
    tippers = {f.id for f in fans if f.tips_cents >= 50_00}
    assert set(_walk(client, caller, account, "/fans/all?filter[tips]=50")) == tippers
    online = {f.id for f in fans if f.online}
    assert set(_walk(client, caller, account, "/fans/all?filter[online]=1")) == online

    lists = client.get(f"/api/{account}/user-lists?limit=20", headers=caller.headers).json()["data"]
    counts = {str(x["id"]): x["usersCount"] for x in lists}
    act = [f for f in fans if active(f)]
    assert {k: counts[k] for k in ("fans", "recent", "following", "rebill_on", "rebill_off", "tagged", "friends",
                                   "muted")} == {
        "fans": len(act) + 9, "recent": sum(f.subscribed_offset <= 86_400 for f in act),
        "following": sum(f.following for f in fans), "rebill_on": sum(f.auto_renew for f in act) + 9,
        "rebill_off": sum(not f.auto_renew for f in act), "tagged": sum(f.tagged for f in fans),
        "friends": sum(f.friend for f in fans), "muted": sum(f.muted for f in fans)}

    rules = {"VIP": lambda f: f.tier == "whale",
             "Win back": lambda f: not active(f) and f.tips_cents + f.subscriptions_cents >= 5_000,
             "New this week": lambda f: active(f) and f.subscribed_offset <= 7 * 86_400}
    assert [x["name"] for x in body["lists"]] == list(rules)
    for seeded in body["lists"]:
        members = {f.id for f in fans if rules[seeded["name"]](f)}
        assert seeded["usersCount"] == len(members) == counts[str(seeded["id"])] > 0
        assert set(_walk(client, caller, account, f"/user-lists/{seeded['id']}/users")) == members
    with state_of(app).engine.connect() as c:  # each member row carries its fan's subscribed_at
        mismatched = c.execute(select(user_list_members.c.fan_id).join(
            fans_table, (fans_table.c.account_id == user_list_members.c.account_id)
            & (fans_table.c.id == user_list_members.c.fan_id))
            .where(user_list_members.c.account_id == account,
                   user_list_members.c.subscribed_at != fans_table.c.subscribed_at)).all()
    assert mismatched == []

    client.post("/sandbox/v1/clock/advance", headers=caller.headers, json={"seconds": 40 * 86_400})
    later = client.get(f"/api/{account}/user-lists/fans", headers=caller.headers).json()["data"]["usersCount"]
    assert later == sum(f.expires_offset > 40 * 86_400 for f in fans)  # magic fans end in 20 days


def test_seeding_ids_the_account_has_is_a_conflict_and_changes_nothing(app, client, caller, now):
    body = _seeded(client, caller, fans=50, seed=1, account=caller.account)
    assert body["account"] == caller.account and body["accountCreated"] is False
    before = _rows(app, caller.account)
    again = _seed(client, caller, fans=10, seed=2, account=caller.account)
    assert again.status_code == 409, again.text
    assert again.json()["error"] == "CONFLICT" and str(sp.ID_BASE + 1) in again.json()["message"]
    assert _rows(app, caller.account) == before
    magic = _seeded(client, caller, fans=0, account=caller.account, magicFans=True, profile={"customLists": False})
    assert len(magic["magicFans"]) == 9 and magic["fanIds"] is None
    assert len(_rows(app, caller.account)) == 59
    assert _seed(client, caller, fans=0, account=caller.account, magicFans=True).status_code == 409


@pytest.mark.parametrize(("body", "field"), [
    ({"fans": 1_000_001}, "fans"), ({"fans": -1}, "fans"), ({"fans": "10"}, "fans"), ({"fans": True}, "fans"),
    ({"fans": 1.5}, "fans"), ({"seed": -1}, "seed"), ({"seed": P}, "seed"), ({"seed": "7"}, "seed"),
    ({"magicFans": "yes"}, "magicFans"), ({"extra": 1}, "extra"), ({"profile": []}, "profile"),
    ({"profile": {"expiredShare": 1.5}}, "profile.expiredShare"),
    ({"profile": {"expiredShare": "half"}}, "profile.expiredShare"),
    ({"profile": {"mutedShare": True}}, "profile.mutedShare"),
    ({"profile": {"nope": 1}}, "profile.nope"),
    ({"profile": {"maxAgeDays": 5}}, "profile.maxAgeDays"),
    ({"profile": {"maxAgeDays": 100.5}}, "profile.maxAgeDays"),
    ({"profile": {"subscriptionPriceUsd": 9.999}}, "profile.subscriptionPriceUsd"),
    ({"profile": {"subscriptionPriceUsd": -1}}, "profile.subscriptionPriceUsd"),
    ({"profile": {"spendTiers": {"none": 0.5, "low": 0.5, "mid": 0.5, "whale": 0}}}, "profile.spendTiers"),
    ({"profile": {"spendTiers": {"none": 1}}}, "profile.spendTiers"),
    ({"profile": {"customLists": 1}}, "profile.customLists"),
])
def test_hostile_input_is_a_422_naming_the_field_and_makes_nothing(app, client, caller, body, field):
    response = _seed(client, caller, **body)
    assert response.status_code == 422, response.text
    error = response.json()
    assert error["error"] == "VALIDATION_ERROR" and field in error["errors"], error
    with state_of(app).engine.connect() as c:
        assert c.execute(select(fans_table.c.id).limit(1)).first() is None


def test_a_limited_key_seeds_only_its_own_accounts(client, world, caller, now):
    mine = world.account(caller.team, "Mine")
    limited = world.key(caller.team, [mine])
    headers = {"Authorization": f"Bearer {limited}"}
    new = client.post("/sandbox/v1/seed", headers=headers, json={"fans": 5})
    assert new.status_code == 422 and "account" in new.json()["errors"], new.text
    other = client.post("/sandbox/v1/seed", headers=headers, json={"fans": 5, "account": caller.account})
    assert other.status_code == 404 and other.json()["error"] == "NOT_FOUND", other.text
    stranger = world.caller()
    theirs = _seed(client, caller, fans=5, account=stranger.account)  # a full key of another team
    assert theirs.status_code == 404, theirs.text
    ok = client.post("/sandbox/v1/seed", headers=headers, json={"fans": 5, "account": mine})
    assert ok.status_code == 200 and ok.json()["account"] == mine, ok.text
    assert client.post("/sandbox/v1/seed", json={"fans": 5}).status_code == 401


def test_seeding_is_set_based_the_statements_do_not_grow_with_the_fans(app, client, caller, now):
    engine = state_of(app).engine
    counted: list[str] = []

    def count(*_args) -> None:
        counted.append("x")

    event.listen(engine, "before_cursor_execute", count)
    try:
        statements = []
        for fans in (10, 3000):
            counted.clear()
            _seeded(client, caller, fans=fans, seed=5, magicFans=True)
            statements.append(len(counted))
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert statements[0] == statements[1] < 40, statements


def test_the_cli_twin_makes_the_same_fans(app, client, caller, settings, now, monkeypatch):
    monkeypatch.setenv("MASSDM_DATABASE_URL", settings.database_url)
    api = _seeded(client, caller, fans=300, seed=42)
    result = CliRunner().invoke(cli_app, ["sandbox", "seed", "--fans", "300", "--seed", "42", "--json"])
    assert result.exit_code == 0, result.output
    import json
    cli = json.loads(result.stdout.strip().splitlines()[-1])
    assert cli["fans"] == 300 and cli["seed"] == 42 and cli["account"] != api["account"]
    assert _rows(app, cli["account"]) == _rows(app, api["account"])
    bad = CliRunner().invoke(cli_app, ["sandbox", "seed", "--fans", "5", "--profile", '{"expiredShare": 2}'])
    assert bad.exit_code == 1 and "profile.expiredShare" in bad.output
