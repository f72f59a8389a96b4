"""The sandbox end to end, as an integrator drives it: a running `massdm serve --sandbox` (on the
PostgreSQL + Redis run: `serve --workers 2` plus two `massdm worker` processes, all reading one
clock), the official SDK for the provider's API and the control API for the rest.

Seed 50,000 fans (magic fans among them) with a fixed seed, turn simulated fans on, freeze the clock,
schedule a PPV message for tomorrow, advance 25 hours: the message reached exactly the fans an
independent query over the store calls eligible, the magic fans failed with their reasons, views and
purchases appeared, and every read (overview, engagement list, chart, top message, buyers, the queue
item) agrees with the per-fan ledger. Past the unsend window it can no longer be unsent. The whole
run again on a fresh sandbox gives byte-identical numbers.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest
from onlyfansapi import OnlyFansAPI
from sqlalchemy import bindparam, text

from massdm.store.types import UTCDateTime
from tests import media_files
from tests.conftest import start_server

FANS = 50_000
SEED = 7
PRICE = 9.99
UNSEND_WINDOW = 3 * 86400  # seconds; a short window, so advancing past it stays quick


def _ok(response: httpx.Response) -> dict:
    assert response.status_code == 200, response.text
    return response.json()


def _run(directory: Path) -> dict:
    """One whole flow on a fresh sandbox; the numbers it saw, for comparing runs."""
    server = start_server(directory, {"MASSDM_SANDBOX": "true", "MASSDM_UNSEND_WINDOW_SECONDS": str(UNSEND_WINDOW)})
    try:
        return _flow(server)
    finally:
        server.stop()


def _flow(server) -> dict:
    world = server.world
    team = world.team()
    account = world.account(team, "Sandbox Creator")
    key = world.key(team, name="integrator")
    api = httpx.Client(base_url=server.base_url, headers={"Authorization": f"Bearer {key}"}, timeout=300)
    sdk = OnlyFansAPI(api_key=key, base_url=server.base_url, max_retries=0)

    now = datetime.fromisoformat(_ok(api.post("/sandbox/v1/clock", json={"frozen": True}))["now"])
    seeded = _ok(api.post("/sandbox/v1/seed", json={"account": account, "fans": FANS, "seed": SEED,
                                                    "magicFans": True}))
    assert seeded["fans"] == FANS and len(seeded["magicFans"]) == 9
    _ok(api.put(f"/sandbox/v1/accounts/{account}/engagement", json={"seed": SEED}))

    media = sdk.media.upload(account, file=("offer.png", media_files.png(64, 64), "image/png"))
    tomorrow = now.replace(microsecond=0) + timedelta(days=1)  # whole seconds: the ledger shows seconds
    sent = sdk.mass_messaging.send(account, text="Tomorrow only", user_lists=["fans"], price=PRICE,
                                   media_files=[media.prefixed_id],
                                   scheduled_date=tomorrow.strftime("%Y-%m-%dT%H:%M:%S.%fZ"))
    message_id = sent.data.id

    advanced = _ok(api.post("/sandbox/v1/clock/advance", json={"seconds": 25 * 3600}))
    assert datetime.fromisoformat(advanced["now"]) == now + timedelta(hours=25) and advanced["frozen"] is True
    ran = advanced["ran"]

    # exactly the eligible fans: active at the send time, magic ones failing instead
    with world.engine.connect() as connection:
        eligible = connection.execute(text(
            "SELECT count(*), sum(CASE WHEN username LIKE 'magic%' THEN 1 ELSE 0 END) FROM fans "
            "WHERE account_id = :a AND (expires_at IS NULL OR expires_at > :at)"
        ).bindparams(bindparam("at", type_=UTCDateTime())), {"a": account, "at": tomorrow}).one()
        delivered_ids = set(connection.execute(text(
            "SELECT fan_id FROM deliveries WHERE message_id = :m"), {"m": message_id}).scalars())
        expected_ids = set(connection.execute(text(
            "SELECT id FROM fans WHERE account_id = :a AND (expires_at IS NULL OR expires_at > :at) "
            "AND username NOT LIKE 'magic%'"
        ).bindparams(bindparam("at", type_=UTCDateTime())), {"a": account, "at": tomorrow}).scalars())
    eligible_count, magic_eligible = eligible
    assert delivered_ids == expected_ids and len(expected_ids) == eligible_count - magic_eligible
    assert 0 < magic_eligible <= 9
    assert (ran["sent"], ran["delivered"]) == (1, len(expected_ids))
    assert ran["views"] > 0 and ran["purchases"] > 0  # in the hour since it went out

    queue = sdk.mass_messaging.retrieve(str(message_id), account=account).data.queue
    item = _ok(api.get(f"/api/{account}/mass-messaging/{message_id}"))["data"]["queue"]  # massdm's fields too
    assert item["isDone"] is True and queue.sent_count == item["sentCount"] == len(expected_ids)
    assert queue.has_error is True and item["error"].startswith(f"{magic_eligible} fans could not receive it")

    ledger = _ledger(api, message_id)
    counts = ledger["counts"]
    assert counts["failed"] == magic_eligible and counts["pending"] == 0
    assert counts["delivered"] + counts["viewed"] + counts["purchased"] == queue.sent_count
    viewed_in_ledger = counts["viewed"] + sum(1 for r in ledger["all"] if r["status"] == "purchased" and r["viewedAt"])
    assert queue.viewed_count == viewed_in_ledger == ran["views"]
    assert item["purchasedCount"] == counts["purchased"] == ran["purchases"]
    assert sorted(r["fanId"] for r in ledger["all"] if r["status"] == "failed") == sorted(
        f["id"] for f in seeded["magicFans"] if f["id"] in {r["fanId"] for r in ledger["all"]
                                                           if r["status"] == "failed"})
    reasons = {r["reason"] for r in ledger["all"] if r["status"] == "failed"}
    assert reasons <= {"blocked", "deleted", "restricted"} and reasons

    revenue = round(counts["purchased"] * PRICE, 2)
    overview = sdk.mass_messaging.retrieve_overview(account).data.items[0]
    assert (overview.id, overview.sent_count, overview.viewed_count) == (message_id, queue.sent_count,
                                                                          queue.viewed_count)
    listed = sdk.engagement.messages.mass_messages.list(account).data.items[0]
    assert (listed.id, listed.sent_count, listed.viewed_count) == (message_id, queue.sent_count, queue.viewed_count)
    chart = sdk.engagement.messages.mass_messages.chart(account).data
    assert chart.group_messages.total == 1
    assert chart.group_messages_purchases.total == pytest.approx(revenue)
    top = sdk.engagement.messages.get_top_message(account).data.purchases
    assert (top.id, top.purchased_count, top.total_revenue_generated) == (message_id, counts["purchased"],
                                                                         f"{revenue:.2f}")
    buyers = _buyers(api, account, message_id)
    assert sorted(buyers) == sorted(r["fanId"] for r in ledger["all"] if r["status"] == "purchased")

    assert queue.can_unsend is True
    _ok(api.post("/sandbox/v1/clock/advance", json={"to": (tomorrow + timedelta(seconds=UNSEND_WINDOW)).isoformat()}))
    closed = sdk.mass_messaging.retrieve(str(message_id), account=account).data.queue
    assert (closed.can_unsend, closed.unsend_seconds) == (False, 0)

    return {"seeded": {k: v for k, v in seeded.items() if k not in ("account", "now", "seconds", "milliseconds")},
            "ran": ran, "counts": counts, "reasons": ledger["reasons"], "message": message_id,
            "queue": [queue.sent_count, queue.viewed_count, item["purchasedCount"]], "buyers": buyers,
            "revenue": revenue, "rows": [(r["fanId"], r["status"], r["reason"], r["deliveredAt"] and
                                          _since(r["deliveredAt"], tomorrow), r["viewedAt"] and
                                          _since(r["viewedAt"], tomorrow), r["purchasedAt"] and
                                          _since(r["purchasedAt"], tomorrow)) for r in ledger["all"]]}


def _since(moment: str, origin: datetime) -> float:
    """A ledger time as seconds after the send: runs start at different wall times, the same offsets."""
    return (datetime.fromisoformat(moment) - origin).total_seconds()


def _ledger(api: httpx.Client, message_id: int) -> dict:
    rows, offset, first = [], 0, None
    while offset is not None:
        page = _ok(api.get(f"/sandbox/v1/messages/{message_id}/recipients", params={"limit": 1000, "offset": offset}))
        first = first or page
        rows.extend(page["recipients"])
        offset = page["nextOffset"]
    assert len(rows) == first["total"] == len({r["fanId"] for r in rows})  # every fan once
    return {**first, "all": rows}


def _buyers(api: httpx.Client, account: str, message_id: int) -> list[int]:
    found, offset = [], 0
    while True:
        page = _ok(api.get(f"/api/{account}/engagement/messages/{message_id}/buyers",
                           params={"limit": 100, "offset": offset}))["data"]
        found.extend(b["id"] for b in page["list"])
        if not page["hasMore"]:
            return found
        offset += 100


def test_seed_schedule_advance_engage_and_the_same_seed_again(tmp_path_factory):
    first = _run(tmp_path_factory.mktemp("sandbox-first"))
    again = _run(tmp_path_factory.mktemp("sandbox-again"))
    assert json.dumps(first, sort_keys=True) == json.dumps(again, sort_keys=True)
