"""Smart lists (massdm's own): custom lists defined by a filter, counted on read, used in sends."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from sqlalchemy import and_, delete, insert, not_, or_, select, update

from massdm.api.state import state_of
from massdm.delivery.worker import DeliveryWorker, WorkerConfig
from massdm.store.db import transaction
from massdm.store.tables import deliveries, fans, purchases

FILTER = {"totalSpent": 50, "noPurchaseWithinDays": 30, "receivedMassMessageWithinHours": 12}


def _api(client, caller, method: str, path: str, **kwargs):
    return client.request(method, f"/api/{caller.account}{path}", headers=caller.headers, **kwargs)


def _ok(response) -> dict:
    assert response.status_code == 200, response.text
    return response.json()["data"]


def _invalid(response, field: str, code: str = "VALIDATION_ERROR") -> str:
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["error"] == code and field in body["errors"], body
    assert body["_meta"]["_credits"]["used"] == 0
    return body["errors"][field][0]


def _deliver(app, clock) -> None:
    DeliveryWorker(state_of(app).engine, clock, WorkerConfig(chunk_size=7)).run_until_idle()


def _fans(client, caller, clock, count: int) -> None:
    now = clock.now()
    fans = [{"id": i, "username": f"fan{i}", "subscribedAt": (now - timedelta(days=100 + i)).isoformat()}
            for i in range(1, count + 1)]
    assert client.post(f"/api/{caller.account}/fans", headers=caller.headers, json=fans).status_code == 200


def _messages(app, client, caller, clock, count: int) -> list[int]:
    """`count` earlier messages to every fan, delivered (their deliveries are then moved in time)."""
    ids = []
    for n in range(count):
        ids.append(_ok(_api(client, caller, "POST", "/mass-messaging", json={"text": f"old {n}",
                                                                              "userLists": ["fans"]}))["id"])
        _deliver(app, clock)
    return ids


def test_smart_list_shape_count_and_filter_changes(app, client, caller, clock):
    _fans(client, caller, clock, 4)
    with transaction(state_of(app).engine) as c:
        c.execute(update(fans).where(fans.c.account_id == caller.account)
                  .values(total_spent_cents=fans.c.id * 2000, online=fans.c.id % 2 == 0))
    created = _ok(_api(client, caller, "POST", "/user-lists", json={"name": "Big", "filter": {"totalSpent": 50}}))
    assert created["type"] == "custom" and created["usersCount"] == 2  # 60 and 80 dollars
    assert created["filter"] == {"totalSpent": 50}
    got = _ok(_api(client, caller, "GET", f"/user-lists/{created['id']}"))
    assert got["usersCount"] == 2 and sorted(u["id"] for u in got["users"]) == [3, 4]
    members = _ok(_api(client, caller, "GET", f"/user-lists/{created['id']}/users?limit=100"))
    assert [u["id"] for u in members["list"]] == [3, 4]  # the listing order: newest subscription first

    changed = _ok(_api(client, caller, "PUT", f"/user-lists/{created['id']}",
                       json={"name": "Big online", "filter": {"totalSpent": 30, "maxTotalSpent": 79.99,
                                                              "online": True}}))
    assert changed["name"] == "Big online" and changed["usersCount"] == 1  # fan 2 ($40, online)
    assert changed["filter"] == {"totalSpent": 30, "maxTotalSpent": 79.99, "online": True}
    renamed = _ok(_api(client, caller, "PUT", f"/user-lists/{created['id']}", json={"name": "Kept"}))
    assert renamed["filter"] == changed["filter"]  # a rename keeps the filter

    listed = _ok(_api(client, caller, "GET", "/user-lists?limit=50"))
    mine = next(x for x in listed if x["name"] == "Kept")
    assert mine["usersCount"] == 1 and mine["filter"] == changed["filter"]
    plain = _ok(_api(client, caller, "POST", "/user-lists", json={"name": "Plain"}))
    assert "filter" not in plain  # the provider's shape, unchanged
    assert all("filter" not in x for x in listed if x["type"] != "custom")


def test_a_smart_list_has_no_hand_picked_members(client, caller, clock):
    _fans(client, caller, clock, 2)
    smart = _ok(_api(client, caller, "POST", "/user-lists", json={"name": "S", "filter": {"tips": 1}}))
    path = f"/user-lists/{smart['id']}/users"
    for response in (_api(client, caller, "POST", path, json={"ids": [1]}),
                     _api(client, caller, "DELETE", f"{path}/1"), _api(client, caller, "DELETE", path)):
        assert "smart list" in _invalid(response, "list_id", "SMART_LIST")
    plain = _ok(_api(client, caller, "POST", "/user-lists", json={"name": "P"}))
    message = _invalid(_api(client, caller, "PUT", f"/user-lists/{plain['id']}",
                            json={"name": "P", "filter": {"tips": 1}}), "filter")
    assert "not a smart list" in message


@pytest.mark.parametrize(("bad", "field"), [
    ({}, "filter"),
    ({"totalSpent": -1}, "filter.totalSpent"),
    ({"totalSpent": "50"}, "filter.totalSpent"),
    ({"maxTotalSpent": "abc"}, "filter.maxTotalSpent"),
    ({"totalSpent": 60, "maxTotalSpent": 50}, "filter.totalSpent"),
    ({"duration": 1.5}, "filter.duration"),
    ({"online": 1}, "filter.online"),
    ({"lastPurchaseWithinDays": 0}, "filter.lastPurchaseWithinDays"),
    ({"lastPurchaseWithinDays": 10, "noPurchaseWithinDays": 10}, "filter.lastPurchaseWithinDays"),
    ({"noPurchaseWithinDays": True}, "filter.noPurchaseWithinDays"),
    ({"receivedMassMessageWithinHours": 0}, "filter.receivedMassMessageWithinHours"),
    ({"total_spent": 50}, "filter.total_spent"),
    ({"spent": 50}, "filter.spent"),
])
def test_bad_filters_are_named(client, caller, bad, field):
    _invalid(_api(client, caller, "POST", "/user-lists", json={"name": "Bad", "filter": bad}), field)


def test_a_smart_list_sends_to_exactly_the_fans_a_plain_query_selects(app, client, caller, clock):
    """Spent >= $50, no purchase in 30 days, not messaged in the last 12 hours: the fans a send through
    the smart list reaches are those an independent query over the same rows selects."""
    rng = random.Random(14)
    count = 80
    _fans(client, caller, clock, count)
    old = _messages(app, client, caller, clock, 3)
    clock.advance(timedelta(days=1))
    now = clock.now()
    engine = state_of(app).engine
    bought_of: dict[int, list[tuple[int, timedelta]]] = {}  # fan: (cents, how long ago)
    delivered: dict[int, list[timedelta]] = {}
    with transaction(engine) as c:
        for fan in range(1, count + 1):
            ago = [timedelta(days=30), timedelta(days=30) - timedelta(seconds=1), timedelta(days=45),
                   timedelta(days=2), timedelta(days=400)]
            bought = [(rng.choice([900, 2500, 5000, 7000]), rng.choice(ago)) for _ in range(rng.randint(0, 2))]
            for message_id, (cents, when) in zip(old, bought, strict=False):
                c.execute(insert(purchases).values(message_id=message_id, account_id=caller.account, fan_id=fan,
                                                   amount_cents=cents, purchased_at=now - when))
            bought_of[fan] = bought[:len(old)]
            tips = rng.choice([0, 0, 3000, 6000])
            spent = sum(cents for cents, _ in bought_of[fan])
            c.execute(update(fans).where(fans.c.account_id == caller.account, fans.c.id == fan).values(
                purchases_cents=spent, tips_cents=tips, total_spent_cents=spent + tips,  # as purchases keep them:
                last_purchase_at=max((now - when for _, when in bought_of[fan]), default=None),
                expires_at=now - timedelta(days=1) if fan % 11 == 0 else None))
            kept = []
            for message_id in old:  # each earlier delivery moved to a time of its own, or never made
                when = rng.choice([None, timedelta(hours=12), timedelta(hours=12) - timedelta(seconds=1),
                                   timedelta(hours=3), timedelta(days=3)])
                which = (deliveries.c.message_id == message_id, deliveries.c.fan_id == fan)
                if when is None:
                    c.execute(delete(deliveries).where(*which))
                else:
                    c.execute(update(deliveries).where(*which).values(delivered_at=now - when))
                    kept.append(when)
            delivered[fan] = kept

    def selected(fan: int, *, active: bool = True) -> bool:
        return ((fan % 11 != 0 or not active) and spend[fan] >= 5000
                and all(when >= timedelta(days=30) for _, when in bought_of[fan])
                and all(when >= timedelta(hours=12) for when in delivered[fan]))

    with engine.connect() as c:  # the same selection, written independently as one plain query
        f, p, d = fans.c, purchases.c, deliveries.c
        expected_sql = set(c.execute(select(f.id).where(
            f.account_id == caller.account, f.total_spent_cents >= 5000,
            or_(f.expires_at.is_(None), f.expires_at > now),
            not_(f.id.in_(select(p.fan_id).where(p.account_id == caller.account,
                                                 p.purchased_at > now - timedelta(days=30)))),
            not_(f.id.in_(select(d.fan_id).where(and_(d.account_id == caller.account,
                                                      d.delivered_at > now - timedelta(hours=12))))),
        )).scalars())
        spend = dict(c.execute(select(f.id, f.total_spent_cents).where(f.account_id == caller.account)).all())
    expected_py = {fan for fan in range(1, count + 1) if selected(fan)}
    assert expected_sql == expected_py and 5 < len(expected_sql) < count // 2  # a world that tells them apart

    smart = _ok(_api(client, caller, "POST", "/user-lists", json={"name": "Lapsed big spenders", "filter": FILTER}))
    assert smart["usersCount"] == sum(selected(fan, active=False) for fan in range(1, count + 1))  # expired too
    # Left out of a send to every fan (which messages the others, who were not in the list anyway) ...
    excluded = _ok(_api(client, caller, "POST", "/mass-messaging", json={
        "text": "Everyone else", "userLists": ["fans"], "excludedLists": [smart["id"]]}))
    _deliver(app, clock)
    with engine.connect() as c:
        rest = set(c.execute(select(deliveries.c.fan_id).where(deliveries.c.message_id == excluded["id"])).scalars())
    assert rest == {f for f in range(1, count + 1) if f % 11} - expected_sql

    # ... then the list's own send, through chunks of 7, reaches exactly the selected fans
    sent = _ok(_api(client, caller, "POST", "/mass-messaging",
                    json={"text": "We miss you", "userLists": [smart["id"]]}))
    _deliver(app, clock)
    with engine.connect() as c:
        got = set(c.execute(select(deliveries.c.fan_id).where(deliveries.c.message_id == sent["id"])).scalars())
    assert got == expected_sql
