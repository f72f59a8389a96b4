"""Simulated fans: settings, the materialised rows equal the model's reference for every fan, through the
same counters, spend, buyers and webhooks as real fans; reproducible, idempotent, and off when told."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from massdm.api.state import state_of
from massdm.app import create_app
from massdm.cli import app as cli_app
from massdm.config import Settings
from massdm.domain.engagement_model import Delay, EngagementSettings, behaviour
from massdm.domain.webhooks import PPV_UNLOCKED
from massdm.store.tables import deliveries, fans, purchases, webhook_events
from tests import media_files
from tests.backends import database_url, redis_settings
from tests.conftest import World

BASE = "/sandbox/v1/accounts/{}/engagement"
SETTINGS = {"seed": 42, "viewRate": 0.6, "purchaseRate": 0.5, "viewDelay": {"minHours": 1, "maxHours": 10},
            "purchaseDelay": {"minHours": 0.5, "maxHours": 3}}
MODEL = EngagementSettings(seed=42, view_rate=0.6, purchase_rate=0.5, view_delay=Delay(1, 10),
                           purchase_delay=Delay(0.5, 3))


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"webhooks_allow_private": True})


def _spend(fan_id: int) -> float:
    """Tips in USD that put fans in every spend tier."""
    return (0, 5, 25, 250, 2500)[fan_id % 5]


def _fans(client, caller, count: int) -> None:
    body = [{"id": i, "username": f"fan{i}", "name": f"Fan {i}", "subscribedAt": "2026-01-01T00:00:00+00:00",
             "tipsSumm": _spend(i)} for i in range(1, count + 1)]
    response = client.post(f"/api/{caller.account}/fans", headers=caller.headers, json=body)
    assert response.status_code == 200, response.text


def _post(client, caller, path: str, **body) -> dict:
    response = client.post(path, headers=caller.headers, json=body)
    assert response.status_code == 200, response.text
    return response.json()


def _advance(client, caller, seconds: float) -> dict:
    return _post(client, caller, "/sandbox/v1/clock/advance", seconds=seconds)


def _engage(client, caller, **body):
    return client.put(BASE.format(caller.account), headers=caller.headers, json=body)


def _send(client, caller, price: float | None = None) -> int:
    body: dict = {"text": "hello", "userLists": ["fans"]}
    if price is not None:
        upload = client.post(f"/api/{caller.account}/media/upload", headers=caller.headers,
                             files={"file": ("a.png", media_files.png(50, 50))})
        assert upload.status_code == 200, upload.text
        body.update(price=price, mediaFiles=[upload.json()["vault_id"]])
    return _post(client, caller, f"/api/{caller.account}/mass-messaging", **body)["data"]["id"]


def _rows(engine, message_id: int) -> dict[int, tuple]:
    with engine.connect() as c:
        return {r.fan_id: (r.delivered_at, r.viewed_at, r.purchased_at) for r in c.execute(
            select(deliveries.c.fan_id, deliveries.c.delivered_at, deliveries.c.viewed_at, deliveries.c.purchased_at)
            .where(deliveries.c.message_id == message_id))}


def _queue(client, caller, message_id: int) -> dict:
    response = client.get(f"/api/{caller.account}/mass-messaging/{message_id}", headers=caller.headers)
    return response.json()["data"]["queue"]


def _seen(client, caller) -> dict:
    """What a user reads: the overview, the engagement list, the chart, the top message."""
    overview = client.get(f"/api/{caller.account}/mass-messaging/overview", headers=caller.headers).json()
    listed = client.get(f"/api/{caller.account}/engagement/messages/mass-messages", headers=caller.headers).json()
    chart = client.get(f"/api/{caller.account}/engagement/messages/mass-messages/chart?withTotal=true",
                       headers=caller.headers).json()
    top = client.get(f"/api/{caller.account}/engagement/messages/top-message", headers=caller.headers).json()
    strip = ("_meta", "_pagination")
    return {name: {k: v for k, v in body.items() if k not in strip}
            for name, body in (("overview", overview), ("list", listed), ("chart", chart), ("top", top))}


def test_settings_have_defaults_and_refuse_what_cannot_be_used(client, caller, world):
    shown = client.get(BASE.format(caller.account), headers=caller.headers)
    assert shown.status_code == 200, shown.text
    assert shown.json() == {"account": caller.account, "enabled": False, "seed": 0, "viewRate": 0.35,
                            "purchaseRate": 0.1, "viewDelay": {"minHours": 0.05, "maxHours": 48.0},
                            "purchaseDelay": {"minHours": 0.01, "maxHours": 6.0}}
    put = _engage(client, caller, seed=7, viewRate=0.5)
    assert put.status_code == 200, put.text
    assert put.json() == {**shown.json(), "enabled": True, "seed": 7, "viewRate": 0.5}
    assert client.get(BASE.format(caller.account), headers=caller.headers).json() == put.json()
    for bad, field in (({"viewRate": 1.5}, "viewRate"), ({"purchaseRate": -0.1}, "purchaseRate"),
                       ({"seed": -1}, "seed"), ({"seed": "7"}, "seed"), ({"viewRate": "0.3"}, "viewRate"),
                       ({"viewDelay": {"minHours": 0, "maxHours": 1}}, "viewDelay"),
                       ({"purchaseDelay": {"minHours": 5, "maxHours": 1}}, "purchaseDelay"),
                       ({"viewDelay": {"minHours": 1}}, "viewDelay"), ({"viewDelay": {"minHours": 1, "maxHours": 1e9}},
                                                                       "viewDelay"),
                       ({"enabled": "yes"}, "enabled"), ({"surprise": 1}, "surprise")):
        response = _engage(client, caller, **bad)
        assert response.status_code == 422, (bad, response.text)
        body = response.json()
        assert body["error"] == "VALIDATION_ERROR"
        assert any(field in name for name in body["errors"]), (bad, body)
    other = world.caller()
    for method in ("GET", "PUT"):
        response = client.request(method, BASE.format(other.account), headers=caller.headers, json={})
        assert response.status_code == 404 and response.json()["error"] == "NOT_FOUND"
    assert client.get(BASE.format(caller.account), headers=caller.headers).json() == put.json()


def test_materialised_rows_equal_the_model_for_every_fan(client, caller, app, receiver):
    engine = state_of(app).engine
    hook = client.post("/api/webhooks", headers=caller.headers, json={
        "endpoint_url": receiver.url, "events": [PPV_UNLOCKED], "account_scope": "global"})
    assert hook.status_code == 201, hook.text
    _fans(client, caller, 400)
    _post(client, caller, "/sandbox/v1/clock", frozen=True)
    priced, free = _send(client, caller, price=4.99), _send(client, caller)
    _advance(client, caller, 0)  # delivered now
    assert _engage(client, caller, **SETTINGS).status_code == 200
    start = datetime.fromisoformat(client.get("/sandbox/v1/clock", headers=caller.headers).json()["now"])

    for hours in (3, 5, 20):  # part of the views and purchases come due, then the rest
        ran = _advance(client, caller, hours * 3600)["ran"]
        moment = datetime.fromisoformat(client.get("/sandbox/v1/clock", headers=caller.headers).json()["now"])
        for message_id, price in ((priced, 499), (free, 0)):
            rows = _rows(engine, message_id)
            assert len(rows) == 400
            for fan_id, (delivered_at, viewed_at, purchased_at) in rows.items():
                view, buy = behaviour(MODEL, message_id, fan_id, price, round(_spend(fan_id) * 100), delivered_at)
                assert viewed_at == (view if view and view <= moment else None), fan_id
                assert purchased_at == (buy if buy and buy <= moment else None), fan_id
    assert ran["views"] >= 0 and moment - start == timedelta(hours=28)

    reference = {f: behaviour(MODEL, priced, f, 499, round(_spend(f) * 100), start) for f in range(1, 401)}
    buyers = sorted((buy, f) for f, (_, buy) in reference.items() if buy)
    viewers = sum(1 for view, _ in reference.values() if view)
    assert 40 < len(buyers) < viewers < 400  # every tier and the price curve leave some, take some
    queue = _queue(client, caller, priced)
    assert (queue["viewedCount"], queue["purchasedCount"]) == (viewers, len(buyers))
    listed = client.get(f"/api/{caller.account}/engagement/messages/{priced}/buyers?limit=50",
                        headers=caller.headers).json()
    assert [b["id"] for b in listed["data"]["list"]] == [f for _, f in buyers][:50]  # in the order they bought
    top = client.get(f"/api/{caller.account}/engagement/messages/top-message", headers=caller.headers).json()
    assert top["data"]["purchases"]["id"] == priced
    chart = client.get(f"/api/{caller.account}/engagement/messages/mass-messages/chart?withTotal=true",
                       headers=caller.headers).json()["data"]
    assert chart["group_messages_purchases"]["total"] == pytest.approx(len(buyers) * 4.99)
    with engine.connect() as c:
        spent = {r.id: r.purchases_cents for r in c.execute(
            select(fans.c.id, fans.c.purchases_cents).where(fans.c.account_id == caller.account))}
        last = {r.id: r.last_purchase_at for r in c.execute(
            select(fans.c.id, fans.c.last_purchase_at).where(fans.c.account_id == caller.account))}
        events = c.execute(select(webhook_events.c.message_id, webhook_events.c.fan_id, webhook_events.c.payload)
                           .where(webhook_events.c.event == PPV_UNLOCKED).order_by(webhook_events.c.id)).all()
        bought = c.execute(select(purchases.c.fan_id, purchases.c.amount_cents).where(purchases.c.message_id == priced)
                           .order_by(purchases.c.id)).all()
    assert [f for f, _ in bought] == [f for _, f in buyers] and {a for _, a in bought} == {499}
    assert spent == {f: 499 if reference[f][1] else 0 for f in range(1, 401)}
    assert last == {f: reference[f][1] for f in range(1, 401)}
    assert sorted((e.message_id, e.fan_id) for e in events) == sorted((priced, f) for _, f in buyers)
    assert all(e.payload["amountCents"] == 499 and e.payload["fanId"] == e.fan_id for e in events)

    def totals() -> dict:
        seen = _seen(client, caller)
        chart = seen.pop("chart")["data"]
        return {**seen, "revenue": chart["group_messages_purchases"]["total"]}

    before, rows = totals(), _rows(engine, priced)  # idempotent: going on records nothing more, nothing doubles
    again = _advance(client, caller, 48 * 3600)["ran"]
    assert (again["views"], again["purchases"], again["events"]) == (0, 0, 0)
    assert totals() == before and _rows(engine, priced) == rows


def _same_anywhere(body: object) -> object:
    """`body` without what differs between two stores whatever happened (account ids, media URLs)."""
    if isinstance(body, dict):
        return {k: _same_anywhere(v) for k, v in body.items() if k not in ("media", "previews")}
    if isinstance(body, list):
        return [_same_anywhere(v) for v in body]
    if isinstance(body, str) and ("acct_" in body or "/media/" in body):
        return "…"
    return body


def _world(directory: Path, steps: list[float]) -> tuple[dict, dict, list]:
    settings = Settings(database_url=database_url(directory), public_url="http://massdm.test",
                        media_dir=directory / "media", worker_enabled=False, sandbox=True, **redis_settings())
    app = create_app(settings)
    with TestClient(app) as client:
        world = World(state_of(app).engine, state_of(app).clock)
        caller = world.caller()
        _fans(client, caller, 200)
        _post(client, caller, "/sandbox/v1/clock", frozen=True)
        _post(client, caller, "/sandbox/v1/clock", now="2030-01-01T12:00:00.250000+00:00")
        assert _engage(client, caller, **SETTINGS).status_code == 200
        first = _send(client, caller, price=9.99)
        _advance(client, caller, 2 * 3600)
        second = _send(client, caller, price=20)
        for seconds in steps:
            _advance(client, caller, seconds)
        seen = _same_anywhere(_seen(client, caller))
        rows = {m: {f: r[1:] for f, r in _rows(state_of(app).engine, m).items()} for m in (first, second)}
        with state_of(app).engine.connect() as c:
            bought = [tuple(r) for r in c.execute(
                select(purchases.c.id, purchases.c.message_id, purchases.c.fan_id, purchases.c.purchased_at)
                .order_by(purchases.c.id))]
    state_of(app).engine.dispose()
    return seen, rows, bought


def test_same_seed_and_clock_moves_give_the_same_numbers_and_rows_whatever_the_steps(tmp_path):
    one = _world(tmp_path / "one", [26 * 3600])
    two = _world(tmp_path / "two", [26 * 3600])
    assert one == two
    stepwise = _world(tmp_path / "three", [3600] * 26)  # other stops: the same events at the same times
    assert stepwise[1] == one[1]
    assert stepwise[0]["overview"] == one[0]["overview"] and stepwise[0]["chart"] == one[0]["chart"]
    assert sorted(b[1:] for b in stepwise[2]) == sorted(b[1:] for b in one[2])
    assert one[0]["chart"]["data"]["group_messages_purchases"]["total"] > 0


def test_turned_off_nothing_more_happens(client, caller, app):
    _fans(client, caller, 100)
    _post(client, caller, "/sandbox/v1/clock", frozen=True)
    message = _send(client, caller, price=3)
    _advance(client, caller, 0)
    assert _engage(client, caller, **SETTINGS).status_code == 200
    _advance(client, caller, 4 * 3600)
    partly = _queue(client, caller, message)
    assert partly["viewedCount"] > 0
    off = _engage(client, caller, **{**SETTINGS, "enabled": False})
    assert off.status_code == 200 and off.json()["enabled"] is False
    ran = _advance(client, caller, 48 * 3600)["ran"]
    assert (ran["views"], ran["purchases"]) == (0, 0)
    assert _queue(client, caller, message) == partly


def test_a_running_clock_engages_as_time_passes(client, caller, app):
    """The in-process worker's housekeeping runs the step in sandbox mode."""
    state = state_of(app)
    assert state.worker.config.housekeeping_steps
    _fans(client, caller, 50)
    _post(client, caller, "/sandbox/v1/clock", frozen=True)
    message = _send(client, caller)
    _advance(client, caller, 0)
    second = 1 / 3600
    assert _engage(client, caller, viewRate=1, viewDelay={"minHours": second, "maxHours": second}).status_code == 200
    _post(client, caller, "/sandbox/v1/clock", frozen=False)
    time.sleep(1.5)
    state.worker.run_until_idle()  # its housekeeping, as the running worker does once per poll
    assert _queue(client, caller, message)["viewedCount"] == 50


def test_the_cli_twin_sets_and_shows_the_settings(client, caller, settings, monkeypatch):
    monkeypatch.setenv("MASSDM_DATABASE_URL", settings.database_url)
    runner = CliRunner()
    result = runner.invoke(cli_app, ["sandbox", "engagement", "set", "--account", caller.account, "--seed", "9",
                                     "--view-rate", "0.5", "--view-delay", "0.5-12", "--json"])
    assert result.exit_code == 0, result.output
    shown = runner.invoke(cli_app, ["sandbox", "engagement", "show", "--account", caller.account, "--json"])
    assert shown.exit_code == 0, shown.output
    api = client.get(BASE.format(caller.account), headers=caller.headers).json()
    assert api["seed"] == 9 and api["viewRate"] == 0.5 and api["viewDelay"] == {"minHours": 0.5, "maxHours": 12.0}
    bad = runner.invoke(cli_app, ["sandbox", "engagement", "set", "--account", caller.account, "--view-rate", "2"])
    assert bad.exit_code != 0 and "viewRate" in bad.output


def test_a_fans_own_view_or_purchase_stays_and_the_model_does_the_rest(client, caller, app, clock):
    """Fans who viewed or bought on their own before the step keep their own event, never a second one; a
    fan who only viewed on its own still buys when the model says so (the model's buyers are its viewers)."""
    from tests.api.test_fan_inbox import _act, _fan_headers

    engine = state_of(app).engine
    _fans(client, caller, 200)
    _post(client, caller, "/sandbox/v1/clock", frozen=True)
    message = _send(client, caller, price=4.99)
    _advance(client, caller, 0)
    assert _engage(client, caller, **SETTINGS).status_code == 200
    start = datetime.fromisoformat(client.get("/sandbox/v1/clock", headers=caller.headers).json()["now"])
    reference = {f: behaviour(MODEL, message, f, 499, round(_spend(f) * 100), start) for f in range(1, 201)}
    buyers = [f for f, (_, buy) in reference.items() if buy]
    own_viewers, own_buyers = buyers[::3], buyers[1::3] + [f for f, (view, _) in reference.items() if not view][:5]
    fan = _fan_headers(app, clock, caller.team)
    for f in own_viewers:
        assert _act(client, fan, f, message, "view").status_code == 200
    for f in own_buyers:
        assert _act(client, fan, f, message, "purchase").status_code == 200
    rows_before = _rows(engine, message)
    _advance(client, caller, 28 * 3600)

    rows = _rows(engine, message)
    for f, (_, viewed_at, purchased_at) in rows.items():
        view, buy = reference[f]
        if f in own_buyers:
            assert purchased_at == rows_before[f][2] is not None, f
            assert viewed_at == (rows_before[f][1] or view), f
        else:
            assert viewed_at == (rows_before[f][1] if f in own_viewers else view), f
            assert purchased_at == buy, f
    with engine.connect() as c:
        bought = [r.fan_id for r in c.execute(select(purchases.c.fan_id).where(purchases.c.message_id == message))]
    assert sorted(bought) == sorted(set(buyers) | set(own_buyers))  # one purchase each, own or simulated
    queue = _queue(client, caller, message)
    assert queue["purchasedCount"] == len(bought)
    assert queue["viewedCount"] == sum(1 for _, viewed_at, _ in rows.values() if viewed_at)
