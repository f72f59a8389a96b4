"""Heavy readers never starve probes or writers (SQLite at 1M fans; PostgreSQL at a fifth of that).

Four clients page as deep as the audience goes and search every fan, in loops, within their
rate limit. Meanwhile `/healthz` must answer 200 at once (an orchestrator restarting a healthy
server is an outage), and a send must go through and be delivered. Before, every read held
SQLite's write lock: a 1.8 s deep page queued everything behind it, and `/healthz` answered 503.
"""

from __future__ import annotations

import statistics
import threading
import time
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import bindparam, text

from massdm.store import fan_tallies
from massdm.store.db import transaction
from massdm.store.types import UTCDateTime
from tests.backends import ON_POSTGRES
from tests.conftest import start_server
from tests.e2e.chaos import scaled

FANS = 200_000 if ON_POSTGRES else 1_000_000
PROBE_SECONDS = scaled(6)


def _add_fans(engine, account: str, count: int) -> None:
    """`count` fans in one INSERT … SELECT (setup, not what is tested), subscribed over four months."""
    columns = ("account_id, id, username, name, subscribed_at, expires_at, auto_renew, following, muted, tagged, "
               "friend, created_at, updated_at")
    if engine.dialect.name == "sqlite":
        series = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < :count) "
        source = "FROM n"
        since = "datetime(:since, '+' || (i % 175000) || ' minutes')"
    else:
        series = ""
        source = "FROM generate_series(1, CAST(:count AS BIGINT)) AS i"
        since = "CAST(:since AS TIMESTAMP) + (i % 175000) * INTERVAL '1 minute'"
    values = f":account, i, 'fan' || i, 'Fan ' || i, {since}, NULL, TRUE, FALSE, FALSE, FALSE, FALSE, :now, :now"
    now = datetime.now(UTC)
    statement = text(f"{series}INSERT INTO fans ({columns}) SELECT {values} {source}").bindparams(
        bindparam("now", type_=UTCDateTime()))
    with transaction(engine) as connection:
        connection.execute(statement, {"account": account, "count": count, "now": now,
                                       "since": (now - timedelta(days=125)).strftime("%Y-%m-%d %H:%M:%S")})
        fan_tallies.recount(connection, account)  # raw rows bypass the counts every fan write keeps


def test_deep_readers_starve_neither_the_probe_nor_a_send(tmp_path):
    server = start_server(tmp_path)
    try:
        caller = server.world.caller(limit_minute=100_000, limit_day=None)
        _add_fans(server.world.engine, caller.account, FANS)
        api = httpx.Client(base_url=server.base_url, headers=caller.headers, timeout=120)
        vip = api.post(f"/api/{caller.account}/user-lists", json={"name": "VIP"}).json()["data"]["id"]
        assert api.post(f"/api/{caller.account}/user-lists/{vip}/users",
                        json={"ids": list(range(1, 101))}).status_code == 200

        stop = threading.Event()
        pages: list[tuple[int, int]] = []
        deep = [f"/api/{caller.account}/fans/all?limit=50&offset={FANS - 50}",
                f"/api/{caller.account}/fans/all?limit=50&offset={FANS // 2}&query=fan",
                f"/api/{caller.account}/fans/all?limit=50&query=nobody-is-called-this",
                f"/api/{caller.account}/user-lists?limit=10"]

        def read(url: str) -> None:
            with httpx.Client(base_url=server.base_url, headers=caller.headers, timeout=120) as http:
                while not stop.is_set():
                    response = http.get(url)
                    pages.append((response.status_code, len(response.json()["data"].get("list", []))
                                  if response.status_code == 200 and isinstance(response.json()["data"], dict)
                                  else -1))

        readers = [threading.Thread(target=read, args=(url,), daemon=True) for url in deep]
        for reader in readers:
            reader.start()
        time.sleep(1.0)  # the readers are deep in their first pages

        sent = api.post(f"/api/{caller.account}/mass-messaging", json={"text": "Still here", "userLists": [vip]})
        assert sent.status_code == 200, sent.text
        message = sent.json()["data"]["id"]
        probes: list[tuple[int, float]] = []
        done_after = None
        started = time.monotonic()
        with httpx.Client(base_url=server.base_url, timeout=30) as probe:
            while time.monotonic() - started < PROBE_SECONDS or done_after is None:
                t0 = time.monotonic()
                probes.append((probe.get("/healthz").status_code, time.monotonic() - t0))
                if done_after is None and api.get(f"/api/{caller.account}/mass-messaging/{message}").json()[
                        "data"]["queue"]["isDone"]:
                    done_after = time.monotonic() - started
                if time.monotonic() - started > 60:
                    break
                time.sleep(0.05)
        stop.set()
        for reader in readers:
            reader.join(120)

        assert done_after is not None, "the send was not delivered within a minute under the readers"
        queue = api.get(f"/api/{caller.account}/mass-messaging/{message}").json()["data"]["queue"]
        assert (queue["total"], queue["pending"]) == (100, 0)
        assert {status for status, _ in probes} == {200}
        latencies = sorted(seconds for _, seconds in probes)
        assert statistics.median(latencies) < 0.1, latencies
        assert latencies[int(len(latencies) * 0.95)] < 0.1, latencies
        assert pages and {status for status, _ in pages} == {200}, set(pages)
        api.close()
    finally:
        server.stop()
