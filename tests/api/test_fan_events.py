"""POST /fan/v1/events: many fans' views and purchases in one call, by the single calls' rules."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from massdm.api.state import state_of
from massdm.delivery.worker import DeliveryWorker, WorkerConfig
from massdm.store import deliveries as delivery_store
from massdm.store.db import snapshot
from massdm.store.tables import deliveries, mass_messages, purchases
from tests.api.test_fan_inbox import (  # noqa: F401 - fixtures
    UNAUTHORIZED,
    _act,
    _add_fans,
    _fan_headers,
    _queue,
    _upload,
    deliver,
    fan,
    fans,
    send,
)

NOT_FOUND, FREE = "NOT_FOUND", "VALIDATION_ERROR"


def _events(client, fan, events: list[dict]):
    return client.post("/fan/v1/events", headers=fan, json={"events": events})


def _batch(client, fan, *events: tuple[int, int, str]) -> dict:
    """Post (fan id, message id, type) events; the response's data."""
    response = _events(client, fan, [{"fanId": f, "messageId": m, "type": t} for f, m, t in events])
    assert response.status_code == 200, response.text
    return response.json()["data"]


def _statuses(data: dict) -> list:
    return [r["status"] if r["status"] != "rejected" else r["error"]["error"] for r in data["results"]]


def _facts(app, message_id: int) -> dict:
    """The message's counters next to the per-fan rows they count."""
    with snapshot(state_of(app).engine) as connection:
        counters = connection.execute(
            select(mass_messages.c.sent_count, mass_messages.c.viewed_count, mass_messages.c.purchased_count,
                   mass_messages.c.revenue_cents).where(mass_messages.c.id == message_id)).one()
        rows = delivery_store.facts_for_message(connection, message_id)
        purchase_rows = connection.execute(
            select(func.count()).select_from(purchases).where(purchases.c.message_id == message_id)).scalar_one()
    assert dict(counters._mapping) == {"sent_count": rows["sent"], "viewed_count": rows["viewed"],
                                       "purchased_count": rows["purchased"], "revenue_cents": rows["revenue_cents"]}
    assert purchase_rows == rows["purchased"]
    return rows


def _delivery(app, message_id: int, fan_id: int):
    with snapshot(state_of(app).engine) as connection:
        return delivery_store.get_delivery(connection, message_id, fan_id)


@pytest.fixture
def paid(client, fans, send) -> int:
    return send(fans, text="paid", price=5, mediaFiles=[_upload(client, fans)])


def test_a_mixed_batch_answers_each_event_in_order_and_counts_each_once(app, client, fans, fan, send, paid):
    free = send(fans, text="free")
    data = _batch(client, fan,
                  (1, free, "view"),
                  (1, free, "view"),  # repeated in the batch
                  (2, paid, "purchase"),  # counts as fan 2's view too
                  (2, paid, "view"),
                  (2, paid, "purchase"),
                  (3, paid, "view"),
                  (3, paid, "purchase"),  # fan 3's view came first: counted once
                  (1, free, "purchase"),  # free: nothing to buy
                  (4, free, "view"),  # fan 4's subscription ran out: never received it
                  (777, free, "view"),  # no such fan
                  (1, 999_999, "purchase"))  # no such message
    assert _statuses(data) == ["applied", "duplicate", "applied", "duplicate", "duplicate", "applied", "applied",
                               FREE, NOT_FOUND, NOT_FOUND, NOT_FOUND]
    assert [r["index"] for r in data["results"]] == list(range(11))
    assert (data["applied"], data["duplicates"], data["rejected"]) == (4, 3, 4)
    assert data["results"][0] == {"index": 0, "status": "applied"}
    assert data["results"][7]["error"] == {"error": "VALIDATION_ERROR",
                                           "message": "This message is free; there is nothing to buy."}
    assert data["results"][8]["error"] == {"error": "NOT_FOUND", "message": f"Message {free} is not in fan 4's inbox."}

    assert _facts(app, free) == {"sent": 3, "viewed": 1, "purchased": 0, "revenue_cents": 0}
    assert _facts(app, paid) == {"sent": 3, "viewed": 2, "purchased": 2, "revenue_cents": 1000}
    queue = _queue(client, fans, paid)
    assert (queue["viewedCount"], queue["purchasedCount"]) == (2, 2)
    buyers = client.get(f"/api/{fans.account}/engagement/messages/{paid}/buyers", headers=fans.headers).json()
    assert [(b["id"], b["paidAmount"]) for b in buyers["data"]["list"]] == [(2, "5.00"), (3, "5.00")]


def test_events_already_recorded_by_the_single_calls_are_duplicates(app, client, fans, fan, send, paid):
    free = send(fans, text="free")
    assert _act(client, fan, 1, free, "view").status_code == 200
    assert _act(client, fan, 2, paid, "purchase").status_code == 200
    before = _facts(app, paid)
    data = _batch(client, fan, (1, free, "view"), (2, paid, "purchase"), (2, paid, "view"), (1, paid, "purchase"))
    assert _statuses(data) == ["duplicate", "duplicate", "duplicate", "applied"]
    assert _facts(app, free)["viewed"] == 1
    assert _facts(app, paid) == {**before, "viewed": 2, "purchased": 2, "revenue_cents": 1000}
    again = _batch(client, fan, (1, free, "view"), (1, paid, "purchase"))  # a whole batch retried
    assert _statuses(again) == ["duplicate", "duplicate"] and again["applied"] == 0
    assert _act(client, fan, 1, paid, "purchase").status_code == 409  # and the single call agrees


def test_unsent_messages_stay_only_with_their_buyers(app, client, fans, fan, paid):
    assert _act(client, fan, 1, paid, "purchase").status_code == 200
    assert client.delete(f"/api/{fans.account}/mass-messaging/{paid}", headers=fans.headers).status_code == 200
    data = _batch(client, fan, (1, paid, "view"), (1, paid, "purchase"), (2, paid, "view"), (2, paid, "purchase"))
    assert _statuses(data) == ["duplicate", "duplicate", NOT_FOUND, NOT_FOUND]
    assert _facts(app, paid) == {"sent": 3, "viewed": 1, "purchased": 1, "revenue_cents": 500}


def test_only_messages_the_fan_received_on_accounts_the_key_may_use(app, client, clock, world, fans, fan, send):
    second = world.account(fans.team, "Second")
    _add_fans(client, fans, second, clock, ids=(1,))
    on_second = send(fans, account=second, text="second account")
    only_two = send(fans, text="just for two", userLists=[], userIds=[2])
    limited = _fan_headers(app, clock, fans.team, accounts=[fans.account])
    data = _batch(client, limited, (1, on_second, "view"), (1, only_two, "view"), (2, only_two, "view"))
    assert _statuses(data) == [NOT_FOUND, NOT_FOUND, "applied"]
    stranger = world.caller()
    assert _statuses(_batch(client, _fan_headers(app, clock, stranger.team), (2, only_two, "view"))) == [NOT_FOUND]
    assert _statuses(_batch(client, fan, (1, on_second, "view"))) == ["applied"]
    assert _facts(app, on_second)["viewed"] == 1 and _facts(app, only_two)["viewed"] == 1


def test_at_is_when_it_happened_within_the_delivery_and_now(app, client, clock, fans, fan, send, paid):
    free = send(fans, text="free")
    received = _delivery(app, free, 1).delivered_at
    now = clock.now()
    response = _events(client, fan, [
        {"fanId": 1, "messageId": free, "type": "view", "at": (received + timedelta(seconds=1)).isoformat()},
        {"fanId": 2, "messageId": free, "type": "view", "at": "2001-01-01T00:00:00Z"},  # before it was sent
        {"fanId": 3, "messageId": free, "type": "view", "at": (now + timedelta(days=1)).isoformat()},  # ahead
        {"fanId": 1, "messageId": paid, "type": "purchase", "at": (now - timedelta(seconds=1)).isoformat()},
    ])
    assert response.status_code == 200, response.text
    assert _delivery(app, free, 1).viewed_at == received + timedelta(seconds=1)
    assert _delivery(app, free, 2).viewed_at == received
    assert _delivery(app, free, 3).viewed_at == now
    bought = _delivery(app, paid, 1)
    assert bought.purchased_at == bought.viewed_at == now - timedelta(seconds=1)


def test_a_full_batch_of_ten_thousand_events(app, client, clock, fans, fan):
    count, first = 5_000, 10
    since = (clock.now() - timedelta(days=5)).isoformat()
    ids = range(first, first + count)
    response = client.post(f"/api/{fans.account}/fans", headers=fans.headers,
                           json=[{"id": i, "username": f"fan{i}", "subscribedAt": since} for i in ids])
    assert response.status_code == 200, response.text
    sent = client.post(f"/api/{fans.account}/mass-messaging", headers=fans.headers,
                       json={"text": "big", "price": 3, "mediaFiles": [_upload(client, fans)], "userLists": ["fans"]})
    assert sent.status_code == 200, sent.text
    DeliveryWorker(state_of(app).engine, clock, WorkerConfig(chunk_size=10_000)).run_until_idle()
    paid = sent.json()["data"]["id"]
    views, buys = [(f, paid, "view") for f in ids], [(f, paid, "purchase") for f in ids]
    random.Random(3).shuffle(views)
    random.Random(4).shuffle(buys)
    order = views + buys  # every fan views, then buys: all count
    data = _batch(client, fan, *order)
    assert (data["applied"], data["duplicates"], data["rejected"]) == (10_000, 0, 0)
    assert _facts(app, paid) == {"sent": count + 3, "viewed": count, "purchased": count, "revenue_cents": 300 * count}
    again = _batch(client, fan, *order)
    assert (again["applied"], again["duplicates"], again["rejected"]) == (0, 10_000, 0)


def test_a_batch_means_what_its_events_mean_one_by_one(app, client, clock, world, fans, fan):
    """The same random events, as one batch on one team and as single calls on another: the same outcomes,
    the same rows, the same counters."""
    twin = world.caller()
    twin_fan = _fan_headers(app, clock, twin.team)
    sides = []
    for who, key in ((fans, fan), (twin, twin_fan)):
        _add_fans(client, who, who.account, clock, ids=(1, 2, 3, *range(5, 13)))  # and fan 4, expired
        media = _upload(client, who)
        messages = []
        for body in ({"text": "free"}, {"text": "paid", "price": 3, "mediaFiles": [media]},
                     {"text": "for one", "price": 4, "mediaFiles": [media], "userLists": [], "userIds": [1]},
                     {"text": "unsent", "price": 6, "mediaFiles": [media]}):
            response = client.post(f"/api/{who.account}/mass-messaging", headers=who.headers,
                                   json={"userLists": ["fans"], **body})
            assert response.status_code == 200, response.text
            messages.append(response.json()["data"]["id"])
        DeliveryWorker(state_of(app).engine, clock, WorkerConfig(chunk_size=10)).run_until_idle()
        assert _act(client, key, 2, messages[3], "purchase").status_code == 200
        assert client.delete(f"/api/{who.account}/mass-messaging/{messages[3]}", headers=who.headers).status_code == 200
        assert _act(client, key, 3, messages[1], "view").status_code == 200
        sides.append((who, key, messages + [999_999]))

    rng = random.Random(11)
    picks = [(rng.randint(1, 13), rng.choice((0, 0, 1, 1, 1, 2, 3, 4)), rng.choice(("view", "purchase")))
             for _ in range(200)]
    (_, batch_key, batch_messages), (_, single_key, single_messages) = sides
    batched = _statuses(_batch(client, batch_key, *[(f, batch_messages[m], t) for f, m, t in picks]))

    singles = []
    for fan_id, m, kind in picks:
        message = single_messages[m]
        before = _delivery(app, message, fan_id)
        response = _act(client, single_key, fan_id, message, kind)
        after = _delivery(app, message, fan_id)
        status = {404: NOT_FOUND, 409: "duplicate", 422: FREE}.get(response.status_code)
        if response.status_code == 200:
            changed = (before.viewed_at, before.purchased_at) != (after.viewed_at, after.purchased_at)
            status = "applied" if changed else "duplicate"
        singles.append(status)
    assert batched == singles

    for b, s in zip(batch_messages[:4], single_messages[:4], strict=True):
        assert _facts(app, b) == _facts(app, s)
        with snapshot(state_of(app).engine) as connection:
            rows = [connection.execute(
                select(deliveries.c.fan_id, deliveries.c.viewed_at.is_not(None), deliveries.c.purchased_at.is_not(None))
                .where(deliveries.c.message_id == m).order_by(deliveries.c.fan_id)).all() for m in (b, s)]
        assert [tuple(r) for r in rows[0]] == [tuple(r) for r in rows[1]]


def test_the_fan_scope_is_needed_as_for_the_single_calls(client, fans, fan):
    body = {"events": [{"fanId": 1, "messageId": 1, "type": "view"}]}
    for headers in (fans.headers, {}, {"Authorization": "Bearer massdm_nope"}):
        response = client.post("/fan/v1/events", headers=headers, json=body)
        assert response.status_code == 401 and response.json() == UNAUTHORIZED
    broken = client.post("/fan/v1/events", headers=fans.headers, json={"events": "nope"})
    assert broken.status_code == 401 and broken.json() == UNAUTHORIZED  # 401 before the body is judged


def test_free_and_counted_once_against_the_rate_limit(client, fans, fan, send):
    message = send(fans, text="free")
    first = _events(client, fan, [{"fanId": f, "messageId": message, "type": "view"} for f in (1, 2, 3)]).json()
    second = _events(client, fan, [{"fanId": 1, "messageId": message, "type": "view"}]).json()
    assert first["_meta"]["_credits"]["used"] == 0 and first["_meta"]["_credits"]["note"] == "Free endpoint"
    assert second["_meta"]["_credits"]["balance"] == first["_meta"]["_credits"]["balance"]
    remaining = [body["_meta"]["_rate_limits"]["remaining_minute"] for body in (first, second)]
    assert remaining[0] - remaining[1] == 1


VALID = {"fanId": 2, "messageId": 1, "type": "view"}  # message 1: the first of a fresh database


@pytest.mark.parametrize(("body", "field"), [
    ([VALID], "body"),  # a list, not an object
    ("events", "body"),
    ({}, "events"),
    ({"events": VALID}, "events"),
    ({"events": [VALID] * 10_001}, "events"),
    ({"events": [VALID, {**VALID, "type": "like"}]}, "events.1.type"),
    ({"events": [VALID, {**VALID, "fanId": 0}]}, "events.1.fanId"),
    ({"events": [VALID, {**VALID, "messageId": 2**63}]}, "events.1.messageId"),
    ({"events": [VALID, {"messageId": 1, "type": "view"}]}, "events.1.fanId"),
    ({"events": [VALID, {**VALID, "at": 1735689600}]}, "events.1.at"),  # never read as Unix time
    ({"events": [VALID, {**VALID, "at": "yesterday"}]}, "events.1.at"),
    ({"events": [VALID, "view"]}, "events.1"),
])
def test_a_malformed_batch_is_422_and_changes_nothing(app, client, fans, fan, send, body, field):
    assert send(fans, text="free") == 1
    response = client.post("/fan/v1/events", headers=fan, json=body)
    assert response.status_code == 422, response.text
    error = response.json()
    assert error["error"] == "VALIDATION_ERROR" and error["message"] and error["description"]
    assert list(error["errors"]) == [field], error["errors"]
    assert error["_meta"]["_credits"]["used"] == 0
    assert _facts(app, 1)["viewed"] == 0


def test_too_many_events_say_how_many(client, fan):
    response = _events(client, fan, [{"fanId": 1, "messageId": 1, "type": "view"}] * 10_001)
    assert response.status_code == 422
    assert response.json()["errors"] == {"events": ["The events field must have at most 10,000 items (it has 10,001)."]}


def test_an_empty_batch_is_an_empty_answer(client, fan):
    data = _batch(client, fan)
    assert data == {"results": [], "applied": 0, "duplicates": 0, "rejected": 0}
