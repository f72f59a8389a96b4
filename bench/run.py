"""massdm's benchmarks: each measures massdm and a baseline in the same run and reports the ratio.

    python bench/run.py            # the full set (make bench), a few minutes on 2 cores
    python bench/run.py --quick    # smaller sizes, under a minute (make bench-quick; CI's smoke check)
    python bench/run.py --only fanout_1m,api_overhead

Prints a table, then as its last line one JSON object {"name": ratio, ...}.

| name          | massdm                                              | baseline                                   | target |
|---------------|-----------------------------------------------------|--------------------------------------------|--------|
| fanout_1m     | POST to a 1M-fan audience until isDone, real server  | one INSERT … SELECT of the same rows into a | ≤ 1.5  |
|               | and worker (SQLite)                                  | table shaped like deliveries, same file    |        |
| fanout_1m_pg  | the same on PostgreSQL                              | the same on PostgreSQL                     | ≤ 2.0  |
| api_overhead  | req/s of GET /api/{account}/mass-messaging          | req/s of a constant body of the same size  | ≥ 0.6  |
| send_o1       | median POST latency, 1M-fan audience                | the same, 10-fan audience                  | ≤ 1.2  |
| stats_opage   | median latency of overview + engagement list at 10M | the same at 10k deliveries                 | ≤ 1.2  |
|               | deliveries                                           |                                            |        |
| fanout_rss_mb | peak RSS growth of server+worker during fanout_1m   | (an absolute figure, MB)                   | ≤ 100  |
| view_ingest   | fan-side view events/s                              | req/s of the constant route                | ≥ 0.5  |
| fan_pages     | median GET /fans/all?limit=50 at a deep offset of   | the same at offset 0                       | ≤ 2    |
|               | 1M fans reached page by page (the SDK way), SQLite  |                                            |        |
| fan_pages_cold| the same page at a random deep offset, no marks      | the same at offset 0                       | report |
| fan_lists     | median GET /user-lists?limit=10 at 1M fans          | GET /fans/all?limit=50 at offset 0         | ≤ 2    |
| events_batch  | time per event of POST /fan/v1/events, 10,000 views | a raw executemany INSERT of the same rows  | ≤ 3.0  |
|               | per call over a message delivered to 200k fans      | (10,000 per transaction), same file        |        |
| events_batch_rate | the same as events/s                            | (an absolute figure, events/s)             | ≥ 100000 |
| events_floor  | the same views recorded on the driver: pairs into a  | the same as events_batch                   | report |
|               | temporary table, one guarded UPDATE … RETURNING      |                                            |        |
| smartlist_plan| planning a send (count + chunks, in-process, SQLite) | the same through a plain custom list of    | ≤ 1.5  |
|               | through a smart list selecting 200k of 260k fans     | the same 200k fans, same file              |        |
| sandbox_engage_1m | materialising one simulated day of engagement | the fan-out of that message (advancing     | ≤ 1.0  |
|               | (views, purchases) of a 1M-fan priced message, SQLite | the clock over its due moment), same file  |        |
| sandbox_engage_floor | the same rows written with nothing drawn: views | the same fan-out                          | report |
|               | and purchases by rowid in one pass, spend, counters  |                                            |        |
| sandbox_seed_1m | seconds of a sandbox seed of 1M fans (in-process,  | one raw INSERT … SELECT of the same 1M     | ≤ 2.0  |
|               | SQLite: fans, tallies, lists, as the route does)     | rows into another account, same file       |        |
| sandbox_reset_100k | a whole-team sandbox reset (in-process, SQLite) of | one raw DELETE FROM fans WHERE account_id  | ≤ 0.5  |
|               | 100k fans, 100k deliveries, a 10k list; team alone  | = ? of another such account's 100k fans    |        |
| sandbox_reset_100k_shared | the same beside another team's 100k   | the same                                   | report |
| sandbox_reset_100k_pg(_shared) | the same two on PostgreSQL        | the same on PostgreSQL                     | ≤ 1.0, report |
| sandbox_reset_small | ms of the testing kit's reset of a used team  | GET /sandbox/v1/clock on the same server   | ≤ 100 ms |
|               | over HTTP (massdm.testing, real serve --sandbox)     | (shown beside it)                          |        |
| api_floor     | req/s of bench/floor_app.py's raw-driver metered GET | req/s of the constant route, same server  | report |
| view_floor    | views/s of bench/floor_app.py's raw-driver view      | req/s of the constant route, same server  | report |
"""  # noqa: E501 - a table, wider than a line

from __future__ import annotations

import argparse
import json
import platform
import random
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from rich.console import Console
from rich.table import Table
from sqlalchemy import bindparam, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import harness
from bench.harness import Creator, Database
from massdm.clock import SystemClock
from massdm.delivery.worker import DeliveryWorker, WorkerConfig
from massdm.domain.smart_lists import SmartFilter
from massdm.sandbox import seed as seed_service
from massdm.services import accounts as account_service
from massdm.store import audience as audience_store
from massdm.store import messages as message_store
from massdm.store import sandbox_seed as seed_store
from massdm.store import user_lists as list_store
from massdm.store.db import create_store_engine, transaction
from massdm.store.messages import NewMessage
from massdm.store.types import UTCDateTime

console = Console(stderr=True)


@dataclass
class Result:
    name: str
    value: float
    target: str
    massdm: str
    baseline: str

    @property
    def met(self) -> bool:
        if self.target == "report":  # a figure to read, no target
            return True
        op, bound = self.target.split(" ")
        return self.value <= float(bound) if op == "≤" else self.value >= float(bound)


@dataclass(frozen=True)
class Sizes:
    fanout: int
    stats_large: int  # deliveries
    stats_small: int
    seconds: float  # each wrk run
    latency_runs: int
    event_fans: int  # fans a message is delivered to for events_batch (one view each per round)
    smart_fans: int  # fans a smartlist_plan message is planned for
    seed_fans: int  # fans sandbox_seed_1m seeds


FULL = Sizes(fanout=1_000_000, stats_large=10_000_000, stats_small=10_000, seconds=5, latency_runs=31,
             event_fans=200_000, smart_fans=200_000, seed_fans=1_000_000)
QUICK = Sizes(fanout=100_000, stats_large=300_000, stats_small=10_000, seconds=2, latency_runs=11,
              event_fans=50_000, smart_fans=50_000, seed_fans=100_000)


# --- fan-out --------------------------------------------------------------------------------


def _floor(database: Database, account: str) -> float:
    """The baseline: one INSERT … SELECT of every eligible fan into a table shaped like deliveries."""
    now = datetime.now(UTC)
    with database.engine.begin() as connection:
        connection.execute(text("DROP TABLE IF EXISTS floor"))
        connection.execute(text(
            "CREATE TABLE floor (message_id BIGINT NOT NULL, fan_id BIGINT NOT NULL, account_id VARCHAR(37) NOT NULL, "
            "delivered_at TIMESTAMP NOT NULL, viewed_at TIMESTAMP, purchased_at TIMESTAMP, "
            "PRIMARY KEY (message_id, fan_id))"))
        connection.execute(text("CREATE INDEX ix_floor_fan ON floor (fan_id, delivered_at)"))
    query = text(
        "INSERT INTO floor (message_id, fan_id, account_id, delivered_at) SELECT 1, id, account_id, :now FROM fans "
        "WHERE account_id = :account AND (expires_at IS NULL OR expires_at > :now)"
    ).bindparams(bindparam("now", type_=UTCDateTime()))
    started = time.perf_counter()
    with database.engine.begin() as connection:
        connection.execute(query, {"account": account, "now": now})
    elapsed = time.perf_counter() - started
    with database.engine.begin() as connection:
        connection.execute(text("DROP TABLE floor"))
    return elapsed


def _fanout_through_server(database: Database, directory: Path, who: Creator) -> tuple[float, float, int]:
    """(seconds from POST to the message's finish, peak RSS growth in MB, deliveries)."""
    server = harness.serve(database, directory)
    try:
        client = httpx.Client(base_url=server.base_url, headers=who.headers, timeout=300)
        client.get(f"/api/{who.account}/mass-messaging")  # warm
        before, _ = server.rss_kb()
        started_wall = datetime.now(UTC)
        response = client.post(f"/api/{who.account}/mass-messaging", json={"text": "bench", "userLists": ["fans"]})
        response.raise_for_status()
        message_id = response.json()["data"]["id"]
        while True:
            queue = client.get(f"/api/{who.account}/mass-messaging/{message_id}").json()["data"]["queue"]
            if queue["isDone"]:
                break
            time.sleep(0.1)
        _, peak = server.rss_kb()
        with database.engine.connect() as connection:
            finished = connection.execute(
                text("SELECT finished_at FROM mass_messages WHERE id = :id").columns(finished_at=UTCDateTime()),
                {"id": message_id},
            ).scalar_one()
        if queue["sentCount"] != queue["total"]:
            raise RuntimeError(f"fan-out incomplete: {queue}")
        return (finished - started_wall).total_seconds(), (peak - before) / 1024, queue["sentCount"]
    finally:
        server.stop()


def fanout(database: Database, directory: Path, who: Creator, name: str, target: str) -> list[Result]:
    floor_before = _floor(database, who.account)
    seconds, rss_mb, delivered = _fanout_through_server(database, directory, who)
    floor_after = _floor(database, who.account)
    floor = (floor_before + floor_after) / 2
    results = [Result(name, seconds / floor, target, f"{delivered:,} fans in {seconds:.2f} s",
                      f"INSERT … SELECT in {floor:.2f} s")]
    if name == "fanout_1m":
        results.append(Result("fanout_rss_mb", rss_mb, "≤ 100", f"peak RSS +{rss_mb:.0f} MB", "(absolute)"))
    return results


# --- API throughput -------------------------------------------------------------------------


def _constant_rps(server: harness.Server, size: int, seconds: float) -> float:
    return harness.wrk(f"{server.base_url}/bench/constant?bytes={size}", seconds=seconds)


def api_overhead(directory: Path, sizes: Sizes) -> list[Result]:
    database = harness.sqlite_database(directory, "api")
    who = harness.creator(database, 10)
    server = harness.serve(database, directory)
    try:
        client = httpx.Client(base_url=server.base_url, headers=who.headers, timeout=60)
        for n in range(3):
            client.post(f"/api/{who.account}/mass-messaging", json={"text": f"hello {n}", "userLists": ["fans"]})
        time.sleep(1)  # let the worker deliver them
        url = f"{server.base_url}/api/{who.account}/mass-messaging"
        size = len(client.get(url).content)
        constant = _constant_rps(server, size, sizes.seconds)
        api = harness.wrk(url, seconds=sizes.seconds, headers=who.headers)
        constant = (constant + _constant_rps(server, size, sizes.seconds)) / 2
    finally:
        server.stop()
    return [Result("api_overhead", api / constant, "≥ 0.6", f"{api:,.0f} req/s", f"{constant:,.0f} req/s ({size} B)")]


_VIEW_SCRIPT = """
local fan = 0
local fans = {fans}
request = function()
  fan = fan % fans + 1
  return wrk.format("POST", {route}, nil, "")
end
"""
_FAN_VIEW = '"/fan/v1/" .. fan .. "/messages/{message}/view"'


def _view_script(route: str, fans: int, message: int) -> str:
    """A wrk script POSTing `route` (a Lua expression of `fan`) for fans 1…fans in turn."""
    return _VIEW_SCRIPT.replace("{route}", route).replace("{fans}", str(fans)).replace("{message}", str(message))


def view_ingest(directory: Path, sizes: Sizes) -> list[Result]:
    database = harness.sqlite_database(directory, "views")
    fans = 200_000
    who = harness.creator(database, fans)
    server = harness.serve(database, directory)
    try:
        client = httpx.Client(base_url=server.base_url, headers=who.headers, timeout=120)
        message = client.post(f"/api/{who.account}/mass-messaging",
                              json={"text": "look", "userLists": ["fans"]}).json()["data"]["id"]
        while not client.get(f"/api/{who.account}/mass-messaging/{message}").json()["data"]["queue"]["isDone"]:
            time.sleep(0.2)
        probe = httpx.post(f"{server.base_url}/fan/v1/{fans}/messages/{message}/view",
                           headers={"Authorization": f"Bearer {who.fan_key}"})
        probe.raise_for_status()
        size = len(probe.content)
        constant = _constant_rps(server, size, sizes.seconds)
        views = harness.wrk(server.base_url, seconds=sizes.seconds, headers={"Authorization": f"Bearer {who.fan_key}"},
                            lua=_view_script(_FAN_VIEW, fans, message))
    finally:
        server.stop()
    return [Result("view_ingest", views / constant, "≥ 0.5", f"{views:,.0f} views/s", f"{constant:,.0f} req/s")]


def floors(directory: Path, sizes: Sizes) -> list[Result]:
    """The ceilings for api_overhead and view_ingest on this stack and machine: the same server
    (massdm's app, uvicorn, every middleware) answering the least such a call can do, on the raw
    driver (bench/floor_app.py). A target above its floor cannot be met by any massdm code."""
    database = harness.sqlite_database(directory, "floors")
    fans = 200_000
    who = harness.creator(database, fans)
    server = harness.serve(database, directory, factory="bench.floor_app:create")
    try:
        client = httpx.Client(base_url=server.base_url, headers=who.headers, timeout=120)
        for n in range(3):
            client.post(f"/api/{who.account}/mass-messaging", json={"text": f"hello {n}", "userLists": ["fans"]})
        message = client.get(f"/api/{who.account}/mass-messaging").json()["data"][0]["id"]
        while not client.get(f"/api/{who.account}/mass-messaging/{message}").json()["data"]["queue"]["isDone"]:
            time.sleep(0.2)
        url = f"{server.base_url}/bench/floor/{who.account}"
        size = len(client.get(url).content)
        constant = _constant_rps(server, size, sizes.seconds)
        metered = harness.wrk(url, seconds=sizes.seconds, headers=who.headers)
        views = harness.wrk(server.base_url, seconds=sizes.seconds, headers={"Authorization": f"Bearer {who.fan_key}"},
                            lua=_view_script('"/bench/floor-view/" .. fan .. "/{message}"', fans, message))
        constant = (constant + _constant_rps(server, size, sizes.seconds)) / 2
    finally:
        server.stop()
    return [Result("api_floor", metered / constant, "report", f"{metered:,.0f} req/s", f"{constant:,.0f} req/s"),
            Result("view_floor", views / constant, "report", f"{views:,.0f} views/s", f"{constant:,.0f} req/s")]


# --- latency --------------------------------------------------------------------------------


def send_o1(database: Database, directory: Path, big: Creator, sizes: Sizes) -> list[Result]:
    """POST latency does not grow with the audience (the worker, not the request, counts it)."""
    small = harness.creator(database, 10, first_fan_id=10_000_000, name="small")
    server = harness.serve(database, directory, MASSDM_WORKER_ENABLED="false")  # measure the request alone
    try:
        timings = {}
        for who in (small, big, small, big):
            client = httpx.Client(base_url=server.base_url, headers=who.headers, timeout=60)
            latency = harness.median_latency(client, "POST", f"/api/{who.account}/mass-messaging",
                                             runs=sizes.latency_runs, json={"text": "hi", "userLists": ["fans"]})
            timings.setdefault(who.account, []).append(latency)
    finally:
        server.stop()
        harness.cancel_open_messages(database)  # or whoever delivers next (stats_opage) sends them all
    large, tiny = min(timings[big.account]), min(timings[small.account])
    return [Result("send_o1", large / tiny, "≤ 1.2", f"{large * 1000:.1f} ms (1M-fan audience)",
                   f"{tiny * 1000:.1f} ms (10 fans)")]


def _deliver(database: Database, who: Creator, messages: int) -> None:
    """Send `messages` messages to all fans and deliver them with an in-process worker."""
    from massdm.domain.banned_words import BannedWords
    from massdm.services import mass_messaging as message_service
    from massdm.services.mass_messaging import MessageDraft, Policy
    from massdm.store.db import transaction

    clock = SystemClock()
    for n in range(messages):
        with transaction(database.engine) as connection:
            message_service.send(connection, who.account, MessageDraft(text=f"stats {n}", user_lists=["fans"]),
                                 clock.now(), Policy(BannedWords.load(), 1_000_000))
    DeliveryWorker(database.engine, clock, WorkerConfig(chunk_size=10_000)).run_until_idle()


def stats_opage(directory: Path, large_db: Database, large: Creator, large_deliveries: int, sizes: Sizes
                ) -> list[Result]:
    small_db = harness.sqlite_database(directory, "stats-small")
    small = harness.creator(small_db, 1_000)
    _deliver(small_db, small, sizes.stats_small // 1_000)
    fans = sizes.fanout
    missing = max(0, sizes.stats_large - large_deliveries)
    _deliver(large_db, large, -(-missing // fans))

    # Both servers run at once and are timed in turn, twice, keeping each side's best median, so a
    # moment of noise on the machine does not land on one side only (as send_o1 does).
    sides = {"small": (small_db, small), "large": (large_db, large)}
    servers = {label: harness.serve(database, directory, MASSDM_WORKER_ENABLED="false")
               for label, (database, _who) in sides.items()}
    ratios: dict[str, dict[str, float]] = {}
    try:
        clients = {label: httpx.Client(base_url=servers[label].base_url, headers=who.headers, timeout=60)
                   for label, (_database, who) in sides.items()}
        for path in ("mass-messaging/overview", "engagement/messages/mass-messages"):
            latencies: dict[str, float] = {}
            for label in ("small", "large", "small", "large"):
                url = f"/api/{sides[label][1].account}/{path}"
                clients[label].get(url)
                median = harness.median_latency(clients[label], "GET", url, runs=sizes.latency_runs)
                latencies[label] = min(median, latencies.get(label, median))
            ratios[path] = latencies
    finally:
        for server in servers.values():
            server.stop()
    worst = max(ratios, key=lambda p: ratios[p]["large"] / ratios[p]["small"])
    value = ratios[worst]["large"] / ratios[worst]["small"]
    detail = "; ".join(f"{p.split('/')[-1]} {r['large'] * 1000:.1f} ms" for p, r in ratios.items())
    base = "; ".join(f"{p.split('/')[-1]} {r['small'] * 1000:.1f} ms" for p, r in ratios.items())
    return [Result("stats_opage", value, "≤ 1.2", f"at {sizes.stats_large:,}: {detail}",
                   f"at {sizes.stats_small:,}: {base}")]


# --- fan pages -----------------------------------------------------------------------------


def _timed_get(client: httpx.Client, url: str) -> float:
    started = time.perf_counter()
    response = client.get(url)
    elapsed = time.perf_counter() - started
    if response.status_code != 200:
        raise RuntimeError(f"GET {url}: {response.status_code} {response.text[:300]}")
    return elapsed


def _median(samples: list[float]) -> float:
    return sorted(samples)[len(samples) // 2]


def fan_pages(directory: Path, sizes: Sizes) -> list[Result]:
    """Offset pages of 1M fans (SQLite): a deep page reached the SDK's way, a cold deep jump, the list counts.

    The SDK pages fans by offset only (0, 50, 100, …), so the deep page is timed as that walk
    reaches it: a jump near the end, then `latency_runs` pages walked on from there, each timed.
    A cold jump is a random deep offset right after a fan write (which voids every mark).
    """
    fans = sizes.fanout
    database = harness.sqlite_database(directory, "pages")
    who = harness.creator(database, fans)
    server = harness.serve(database, directory, MASSDM_WORKER_ENABLED="false")
    rng = random.Random(7)
    try:
        client = httpx.Client(base_url=server.base_url, headers=who.headers, timeout=120)
        pages = f"/api/{who.account}/fans/all?limit=50"
        for every in (10, fans // 1_000):  # two custom lists (a tenth of the fans, 1,000 fans) after the system ones
            custom = client.post(f"/api/{who.account}/user-lists", json={"name": f"every {every}"})
            list_id = custom.json()["data"]["id"]
            members = list(range(1, fans + 1, every))
            for start in range(0, len(members), 10_000):
                client.post(f"/api/{who.account}/user-lists/{list_id}/users",
                            json={"ids": members[start : start + 10_000]}).raise_for_status()

        def first_page() -> float:
            _timed_get(client, pages)
            return harness.median_latency(client, "GET", pages, runs=sizes.latency_runs)

        def touch() -> None:  # an upsert that changes nothing but updated_at: every mark of the account goes
            client.post(f"/api/{who.account}/fans", json=[{"id": 1, "username": "fan1"}]).raise_for_status()

        first = first_page()
        walk_from = fans - 50 * (sizes.latency_runs + 2)
        _timed_get(client, f"{pages}&offset={walk_from}")  # the jump; the walk goes on from it
        walked = _median([_timed_get(client, f"{pages}&offset={walk_from + 50 * n}")
                          for n in range(1, sizes.latency_runs + 1)])
        warm_jumps = _median([_timed_get(client, f"{pages}&offset={rng.randrange(fans // 2, fans - 50)}")
                              for _ in range(sizes.latency_runs)])
        cold = []
        for _ in range(5):
            touch()
            cold.append(_timed_get(client, f"{pages}&offset={rng.randrange(fans // 2, fans - 50)}"))
        lists_url = f"/api/{who.account}/user-lists?limit=10"
        _timed_get(client, lists_url)
        lists = harness.median_latency(client, "GET", lists_url, runs=sizes.latency_runs)
        first = min(first, first_page())
    finally:
        server.stop()
        database.drop()
    base = f"offset 0: {first * 1000:.1f} ms"
    return [
        Result("fan_pages", walked / first, "≤ 2", f"offset ≈{walk_from:,}, walked: {walked * 1000:.1f} ms", base),
        Result("fan_pages_cold", _median(cold) / first, "report",
               f"cold random deep: {_median(cold) * 1000:.0f} ms (warm jumps {warm_jumps * 1000:.1f} ms)", base),
        Result("fan_lists", lists / first, "≤ 2", f"/user-lists?limit=10: {lists * 1000:.1f} ms", base),
    ]


# --- batches of fan events -------------------------------------------------------------------

EVENT_BATCH = 10_000


def _event_bodies(message: int, fans: int) -> list[bytes]:
    """The views of every fan of `message`, as request bodies of EVENT_BATCH events (built before timing)."""
    return [json.dumps({"events": [{"fanId": f, "messageId": message, "type": "view"}
                                   for f in range(start, min(start + EVENT_BATCH, fans + 1))]}).encode()
            for start in range(1, fans + 1, EVENT_BATCH)]


def _raw_event_inserts(database: Database, fans: int) -> float:
    """The baseline: the same rows (message, fan, type, at) written by the driver's executemany into a
    table keyed like the facts (one row per message, fan and type), EVENT_BATCH rows per transaction."""
    now = datetime.now(UTC).replace(tzinfo=None).isoformat(" ")
    batches = [[(1, f, "view", now) for f in range(start, min(start + EVENT_BATCH, fans + 1))]
               for start in range(1, fans + 1, EVENT_BATCH)]
    with database.engine.begin() as connection:
        connection.execute(text("DROP TABLE IF EXISTS floor_events"))
        connection.execute(text("CREATE TABLE floor_events (message_id BIGINT NOT NULL, fan_id BIGINT NOT NULL, "
                                "type VARCHAR(8) NOT NULL, at TIMESTAMP NOT NULL, "
                                "PRIMARY KEY (message_id, fan_id, type))"))
    raw = database.engine.raw_connection()
    try:
        cursor = raw.cursor()
        started = time.perf_counter()
        for rows in batches:
            cursor.execute("BEGIN IMMEDIATE")
            cursor.executemany("INSERT INTO floor_events VALUES (?, ?, ?, ?)", rows)
            cursor.execute("COMMIT")
        elapsed = time.perf_counter() - started
    finally:
        raw.close()
    with database.engine.begin() as connection:
        connection.execute(text("DROP TABLE floor_events"))
    return elapsed


def _raw_view_updates(database: Database, account: str, message: int, fans: int) -> float:
    """The floor: the least that records the same views once each, on the driver, EVENT_BATCH per
    transaction: the pairs into a temporary table by executemany, one guarded UPDATE … FROM … RETURNING
    over the deliveries (first view only, the key's account), its rows read. No JSON, no checks, no
    counters, no HTTP."""
    now = datetime.now(UTC).replace(tzinfo=None).isoformat(" ")
    batches = [[(message, f) for f in range(start, min(start + EVENT_BATCH, fans + 1))]
               for start in range(1, fans + 1, EVENT_BATCH)]
    raw = database.engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute("CREATE TEMP TABLE IF NOT EXISTS floor_pairs (message_id BIGINT NOT NULL, "
                       "fan_id BIGINT NOT NULL)")
        started = time.perf_counter()
        for rows in batches:
            cursor.execute("BEGIN IMMEDIATE")
            cursor.execute("DELETE FROM floor_pairs")
            cursor.executemany("INSERT INTO floor_pairs VALUES (?, ?)", rows)
            viewed = cursor.execute(
                "UPDATE deliveries SET viewed_at = ? FROM floor_pairs "
                "WHERE deliveries.message_id = floor_pairs.message_id AND deliveries.fan_id = floor_pairs.fan_id "
                "AND deliveries.viewed_at IS NULL "
                "AND deliveries.account_id = ? RETURNING deliveries.message_id, deliveries.fan_id",
                (now, account)).fetchall()
            cursor.execute("COMMIT")
            if len(viewed) != len(rows):
                raise RuntimeError(f"the floor recorded {len(viewed)} of {len(rows)} views")
        elapsed = time.perf_counter() - started
    finally:
        raw.close()
    return elapsed


def events_batch(directory: Path, sizes: Sizes) -> list[Result]:
    """Views of a delivered message by every fan, EVENT_BATCH per POST /fan/v1/events, one call after another.

    Two rounds (two messages), each against the raw inserts measured just before it; the better
    round of each side counts, so a moment of noise on the shared machine lands on neither alone.
    """
    database = harness.sqlite_database(directory, "events")
    fans = sizes.event_fans
    who = harness.creator(database, fans)
    server = harness.serve(database, directory)
    timings: dict[str, list[float]] = {"massdm": [], "raw": [], "cpu": [], "floor": []}
    try:
        client = httpx.Client(base_url=server.base_url, headers=who.headers, timeout=120)
        fan_side = httpx.Client(base_url=server.base_url, timeout=120, headers={
            "Authorization": f"Bearer {who.fan_key}", "Content-Type": "application/json"})

        def delivered(text: str) -> int:
            message = client.post(f"/api/{who.account}/mass-messaging",
                                  json={"text": text, "userLists": ["fans"]}).json()["data"]["id"]
            while not client.get(f"/api/{who.account}/mass-messaging/{message}").json()["data"]["queue"]["isDone"]:
                time.sleep(0.2)
            return message

        for round_ in range(2):
            floor_message = delivered(f"floor {round_}")
            timings["floor"].append(_raw_view_updates(database, who.account, floor_message, fans))
            message = delivered(f"look {round_}")
            bodies = _event_bodies(message, fans)
            timings["raw"].append(_raw_event_inserts(database, fans))
            started, cpu = time.perf_counter(), server.cpu_seconds()
            responses = [fan_side.post("/fan/v1/events", content=body) for body in bodies]
            timings["massdm"].append(time.perf_counter() - started)
            timings["cpu"].append((server.cpu_seconds() - cpu) / len(bodies))
            # checked after the clock stops: the client shares the cores
            for body, response in zip(bodies, responses, strict=True):
                if response.status_code != 200 or response.json()["data"]["applied"] != body.count(b'"fanId"'):
                    raise RuntimeError(f"POST /fan/v1/events: {response.status_code} {response.text[:300]}")
    finally:
        server.stop()
        database.drop()
    massdm, raw = min(timings["massdm"]), min(timings["raw"])
    rate, raw_rate = fans / massdm, fans / raw
    detail = (f"{rate:,.0f} events/s ({fans:,} in {massdm:.2f} s; server CPU "
              f"{min(timings['cpu']) * 1000:.0f} ms per {EVENT_BATCH:,})")
    base = f"executemany {raw_rate:,.0f} rows/s ({raw:.2f} s)"
    floor = min(timings["floor"])
    return [Result("events_batch", massdm / raw, "≤ 3.0", detail, base),
            Result("events_batch_rate", rate, "≥ 100000", detail, "(absolute)"),
            Result("events_floor", floor / raw, "report", f"driver: temporary table + one UPDATE, {fans / floor:,.0f} "
                   "views/s", base)]


# --- smart lists --------------------------------------------------------------------------------

SMART_FILTER = SmartFilter(min_spent_cents=5000, not_bought_within_days=30, not_messaged_within_hours=12)


def _smart_world(database: Database, selected: int) -> tuple[str, int, int]:
    """An account where SMART_FILTER keeps `selected` fans of 13/10 as many, each left-out fan failing
    one condition (spent $10, bought 5 days ago, messaged 2 hours ago); every fan has a purchase (60
    days ago for the kept) and an older delivery, so each probe finds rows to judge. Returns the
    account, the smart list and a plain custom list of exactly the fans the smart list holds."""
    total = selected * 13 // 10
    who = harness.creator(database, total, name="smart")
    now = datetime.now(UTC)
    with transaction(database.engine) as c:
        old = [message_store.insert_message(c, NewMessage(
            account_id=who.account, text=f"old {n}", raw_text=f"old {n}", locked_text=False, price_cents=500,
            giphy_id=None, release_forms={}, user_lists=["fans"], excluded_lists=[], subscribed_since=None,
            created_at=now, saved_for_later=False, scheduled_at=None, due_at=None)) for n in range(2)]
        values = {"a": who.account, "old": old[0], "recent": old[1], "now": now}
        c.execute(text("UPDATE fans SET total_spent_cents = CASE WHEN id % 13 = 0 THEN 1000 ELSE 6000 END, "
                       "purchases_cents = CASE WHEN id % 13 = 0 THEN 1000 ELSE 6000 END WHERE account_id = :a"),
                  values)
        c.execute(text("INSERT INTO purchases (message_id, account_id, fan_id, amount_cents, purchased_at) "
                       "SELECT :old, account_id, id, total_spent_cents, CASE WHEN id % 13 = 1 THEN :bought_recently "
                       "ELSE :bought_long_ago END FROM fans WHERE account_id = :a")
                  .bindparams(bindparam("bought_recently", type_=UTCDateTime()),
                              bindparam("bought_long_ago", type_=UTCDateTime())),
                  {**values, "bought_recently": now - timedelta(days=5), "bought_long_ago": now - timedelta(days=60)})
        c.execute(text("UPDATE fans SET last_purchase_at = (SELECT max(purchased_at) FROM purchases "  # as purchases
                       "WHERE purchases.account_id = fans.account_id AND purchases.fan_id = fans.id) "  # keep it
                       "WHERE account_id = :a"), values)
        c.execute(text("INSERT INTO deliveries (message_id, fan_id, account_id, delivered_at) "
                       "SELECT :old, id, account_id, :long_ago FROM fans WHERE account_id = :a")
                  .bindparams(bindparam("long_ago", type_=UTCDateTime())),
                  {**values, "long_ago": now - timedelta(days=3)})
        c.execute(text("INSERT INTO deliveries (message_id, fan_id, account_id, delivered_at) "
                       "SELECT :recent, id, account_id, :lately FROM fans WHERE account_id = :a AND id % 13 = 2")
                  .bindparams(bindparam("lately", type_=UTCDateTime())), {**values, "lately": now - timedelta(hours=2)})
        smart = list_store.create_list(c, who.account, "lapsed big spenders", now, SMART_FILTER).id
        plain = list_store.create_list(c, who.account, "the same fans", now).id
        c.execute(text("INSERT INTO user_list_members (list_id, fan_id, account_id, added_at, subscribed_at) "
                       "SELECT :plain, id, account_id, :now, subscribed_at FROM fans "
                       "WHERE account_id = :a AND id % 13 NOT IN (0, 1, 2)")
                  .bindparams(bindparam("now", type_=UTCDateTime())),
                  {**values, "plain": plain})
        c.execute(text("UPDATE user_lists SET member_count = :n WHERE id = :plain"), {"n": selected, "plain": plain})
    return who.account, smart, plain


def _plan_once(database: Database, account: str, list_id: int) -> tuple[float, int, int]:
    """What the worker does to plan a due message (DeliveryWorker._plan): its audience counted and split
    into chunks, timed from the message's row to the last chunk; then rolled back, so every run is alike."""
    now = datetime.now(UTC)
    with database.engine.connect() as c:
        c.begin()
        message_id = message_store.insert_message(c, NewMessage(
            account_id=account, text="plan", raw_text="plan", locked_text=False, price_cents=0, giphy_id=None,
            release_forms={}, user_lists=[str(list_id)], excluded_lists=[], subscribed_since=None, created_at=now,
            saved_for_later=False, scheduled_at=None, due_at=now))
        message = message_store.get_message_by_id(c, message_id)
        assert message is not None
        started = time.perf_counter()
        audience = audience_store.for_message(c, message, now)
        size, can_receive = audience_store.count(c, audience)
        chunks = audience_store.plan_chunks(c, audience, WorkerConfig().chunk_size)
        seconds = time.perf_counter() - started
        c.rollback()
    return seconds, can_receive, chunks


def smartlist_plan(directory: Path, sizes: Sizes) -> list[Result]:
    """Planning through the smart list against planning through the plain list of the same fans, three
    runs each, alternated; the best of each counts."""
    database = harness.sqlite_database(directory, "smart")
    try:
        account, smart, plain = _smart_world(database, sizes.smart_fans)
        runs: dict[str, list[float]] = {"smart": [], "plain": []}
        for _ in range(3):
            for name, list_id in (("plain", plain), ("smart", smart)):
                seconds, receivers, chunks = _plan_once(database, account, list_id)
                if receivers != sizes.smart_fans:
                    raise RuntimeError(f"{name} list: {receivers} fans planned, not {sizes.smart_fans}")
                runs[name].append(seconds)
    finally:
        database.drop()
    smart_s, plain_s = min(runs["smart"]), min(runs["plain"])
    return [Result("smartlist_plan", smart_s / plain_s, "≤ 1.5",
                   f"smart list: {sizes.smart_fans:,} fans in {smart_s * 1000:.0f} ms ({chunks} chunks)",
                   f"plain list: {plain_s * 1000:.0f} ms")]


# --- sandbox engagement ---------------------------------------------------------------------


def sandbox_engage(directory: Path, sizes: Sizes) -> list[Result]:
    """One simulated day of a priced message's views and purchases (the clock advanced a day, its step
    recording what came due) against that message's fan-out (the clock advanced over its due moment), both
    timed in-process through massdm.sandbox.clock.advance on the same SQLite file."""
    from massdm.domain.engagement_model import EngagementSettings
    from massdm.sandbox import clock as sandbox_clock
    from massdm.sandbox import engagement

    database = harness.sqlite_database(directory, "engage")
    try:
        who = harness.creator(database, sizes.fanout, name="engage")
        engine = database.engine
        with transaction(engine) as c:  # every spend tier: tips of $0, $30, $60, $90, $120
            c.execute(text("UPDATE fans SET tips_cents = (id % 5) * 3000, total_spent_cents = (id % 5) * 3000 "
                           "WHERE account_id = :a"), {"a": who.account})
        clock = sandbox_clock.driven_clock(engine)
        sandbox_clock.set_frozen(engine, clock, True)
        now = clock.now()
        engagement.write_settings(engine, who.account, EngagementSettings(seed=1), now)
        with transaction(engine) as c:
            message_id = message_store.insert_message(c, NewMessage(
                account_id=who.account, text="engage", raw_text="engage", locked_text=False, price_cents=999,
                giphy_id=None, release_forms={}, user_lists=["fans"], excluded_lists=[], subscribed_since=None,
                created_at=now, saved_for_later=False, scheduled_at=None, due_at=now))
        config = sandbox_clock.AdvanceConfig(worker=WorkerConfig(chunk_size=10_000))
        steps = sandbox_clock.default_steps()
        started = time.perf_counter()
        sandbox_clock.advance(engine, clock, by=timedelta(0), steps=steps, config=config)
        fanout_s = time.perf_counter() - started
        floor_path = directory / "engage-floor.db"
        _page_copy(directory / "engage.db", floor_path)  # the world as the step finds it, page for page
        started = time.perf_counter()
        ran = sandbox_clock.advance(engine, clock, by=timedelta(days=1), steps=steps, config=config).ran
        engage_s = time.perf_counter() - started
        with transaction(engine) as c:
            message = message_store.get_message_by_id(c, message_id)
        assert message is not None and message.sent_count == sizes.fanout and message.viewed_count == ran.views
        if ran.views == 0 or ran.purchases == 0:
            raise RuntimeError(f"no engagement materialised: {ran}")
        floor_s = _engage_floor(directory / "engage.db", floor_path, who.account, message_id)
    finally:
        database.drop()
    return [Result("sandbox_engage_1m", engage_s / fanout_s, "≤ 1.0",
                   f"one day: {ran.views:,} views, {ran.purchases:,} purchases in {engage_s:.2f} s",
                   f"fan-out to {sizes.fanout:,} fans in {fanout_s:.2f} s"),
            Result("sandbox_engage_floor", floor_s / fanout_s, "report",
                   f"the same rows written with nothing drawn: {floor_s:.2f} s "
                   f"(the step is {engage_s / floor_s:.2f}× its floor)",
                   f"fan-out to {sizes.fanout:,} fans in {fanout_s:.2f} s")]


def _page_copy(source: Path, target: Path) -> None:
    """An exact copy of a SQLite store (the backup API copies pages: same rowids, same layout), taken
    while its engine is idle."""
    import sqlite3

    with sqlite3.connect(source) as a, sqlite3.connect(target) as b:
        a.backup(b)
    a.close()
    b.close()


def _engage_floor(engaged: Path, world: Path, account: str, message_id: int) -> float:
    """Seconds to write what the engagement step wrote, already known, into `world` (the store before the
    step): every new view and purchase on its delivery by rowid in one pass, the purchase rows, the buyers'
    spend and the message's counters, one transaction with the store's own settings. What any design that
    records the same rows in this schema must write, with no draw, no stage and no second pass."""
    import sqlite3

    with sqlite3.connect(world) as setup:  # untimed: the results, copied in from the engaged store
        setup.execute("ATTACH DATABASE ? AS engaged", (str(engaged),))
        setup.execute("CREATE TABLE floor_views AS SELECT rowid AS rid, viewed_at, purchased_at FROM "
                      "engaged.deliveries WHERE message_id = ? AND viewed_at IS NOT NULL ORDER BY rowid",
                      (message_id,))
        setup.execute("CREATE TABLE floor_purchases AS SELECT message_id, account_id, fan_id, amount_cents, "
                      "purchased_at FROM engaged.purchases WHERE message_id = ? ORDER BY id", (message_id,))
        setup.commit()
        setup.execute("DETACH DATABASE engaged")
    setup.close()
    floor = harness.Database(f"sqlite:///{world}", create_store_engine(f"sqlite:///{world}"))
    try:
        with transaction(floor.engine) as c:  # warm the pool: the connection's setup is not the floor
            c.execute(text("SELECT 1"))
        started = time.perf_counter()
        with transaction(floor.engine) as c:
            c.execute(text("UPDATE deliveries SET viewed_at = v.viewed_at, purchased_at = v.purchased_at "
                           "FROM floor_views AS v WHERE deliveries.rowid = v.rid"))
            c.execute(text("INSERT INTO purchases (message_id, account_id, fan_id, amount_cents, purchased_at) "
                           "SELECT * FROM floor_purchases"))
            c.execute(text(
                "UPDATE fans SET purchases_cents = purchases_cents + b.cents, "
                "total_spent_cents = total_spent_cents + b.cents, last_purchase_at = b.last_at "
                "FROM (SELECT fan_id, sum(amount_cents) AS cents, max(purchased_at) AS last_at FROM floor_purchases "
                "GROUP BY fan_id) AS b WHERE fans.account_id = :a AND fans.id = b.fan_id"), {"a": account})
            c.execute(text("UPDATE mass_messages SET viewed_count = (SELECT count(*) FROM floor_views), "
                           "purchased_count = (SELECT count(*) FROM floor_purchases) WHERE id = :m"),
                      {"m": message_id})
        return time.perf_counter() - started
    finally:
        floor.drop()
# --- sandbox seeding ------------------------------------------------------------------------

_FAN_COLUMNS = ("id, username, name, subscribed_at, expires_at, auto_renew, following, muted, tagged, friend, online, "
                "purchases_cents, tips_cents, subscriptions_cents, total_spent_cents, term_seconds, last_purchase_at, "
                "created_at, updated_at, last_seen_at")


def sandbox_seed_1m(directory: Path, sizes: Sizes) -> list[Result]:
    """A seed through massdm.sandbox.seed (what POST /sandbox/v1/seed runs: fans drawn in SQL, tallies
    recounted, custom lists filled) against copying the same rows, already drawn, into another account
    of the same table by one INSERT … SELECT: what writing the rows costs without drawing them."""
    database = harness.sqlite_database(directory, "seed")
    try:
        now = datetime.now(UTC)
        with transaction(database.engine) as c:
            team = account_service.ensure_team(c, slug="seed", name="seed", credits=0, now=now)
            seeded, copy = (account_service.create_account(c, team=team, display_name=name, username=None, now=now).id
                            for name in ("seeded", "copy"))
        started = time.perf_counter()
        result = seed_service.seed_audience(database.engine, SystemClock(), seed_service.SeedRequest(
            fans=sizes.seed_fans, seed=7, account_id=seeded))
        seed_s = time.perf_counter() - started
        started = time.perf_counter()
        with transaction(database.engine) as c, seed_store.bulk_cache(c):  # the seed's page cache, for both
            c.execute(text(f"INSERT INTO fans (account_id, {_FAN_COLUMNS}) SELECT :copy, {_FAN_COLUMNS} FROM fans "
                           "WHERE account_id = :seeded"), {"copy": copy, "seeded": seeded})
        raw_s = time.perf_counter() - started
    finally:
        database.drop()
    lists = ", ".join(f"{x.name} {x.members:,}" for x in result.lists)
    return [Result("sandbox_seed_1m", seed_s / raw_s, "≤ 2.0",
                   f"{sizes.seed_fans:,} fans seeded in {seed_s:.1f} s (lists: {lists})",
                   f"raw INSERT … SELECT of the rows: {raw_s:.1f} s")]


# --- sandbox reset --------------------------------------------------------------------------

RESET_FANS, RESET_MEMBERS = 100_000, 10_000


def _reset_world(database: Database, name: str) -> tuple[int, str]:
    """A team whose one account has RESET_FANS fans, one message delivered to each of them and a custom list
    of RESET_MEMBERS of them (team id, account), written set-based: setup, not what is measured."""
    who = harness.creator(database, RESET_FANS, name=name)
    now = datetime.now(UTC)
    with transaction(database.engine) as c:
        team_id = c.execute(text("SELECT team_id FROM accounts WHERE id = :a"), {"a": who.account}).scalar_one()
        message_id = message_store.insert_message(c, NewMessage(
            account_id=who.account, text="reset", raw_text="reset", locked_text=False, price_cents=0,
            giphy_id=None, release_forms={}, user_lists=["fans"], excluded_lists=[], subscribed_since=None,
            created_at=now, saved_for_later=False, scheduled_at=None, due_at=now))
        at = {"a": who.account, "m": message_id, "now": now}
        stamp = [bindparam("now", type_=UTCDateTime())]
        c.execute(text("INSERT INTO deliveries (message_id, fan_id, account_id, delivered_at) "
                       "SELECT :m, id, account_id, :now FROM fans WHERE account_id = :a").bindparams(*stamp), at)
        list_id = list_store.create_list(c, who.account, "reset", now).id
        c.execute(text("INSERT INTO user_list_members (list_id, fan_id, account_id, added_at, subscribed_at) "
                       "SELECT :l, id, account_id, :now, subscribed_at FROM fans WHERE account_id = :a "
                       "ORDER BY id LIMIT :n").bindparams(*stamp), at | {"l": list_id, "n": RESET_MEMBERS})
        c.execute(text("UPDATE user_lists SET member_count = :n WHERE id = :l"), {"n": RESET_MEMBERS, "l": list_id})
    return team_id, who.account


def _reset_once(database: Database, shared: bool) -> tuple[float, float, int]:
    """(seconds of massdm's reset of a world, of a raw DELETE of another world's fans, rows reset) in a fresh
    store: the sandbox's own shape, the team alone in its store, or (`shared`) beside another team's world."""
    from massdm.sandbox import reset as reset_service
    from massdm.store.team_state import Target

    if shared:
        _reset_world(database, "neighbour")
    team_id, account = _reset_world(database, "reset")
    done = reset_service.reset(database.engine, Target(team_id, (account,), whole=True))
    _, raw = _reset_world(database, "raw")
    with transaction(database.engine) as c:
        c.execute(text("DELETE FROM user_list_members WHERE account_id = :a"), {"a": raw})
        started = time.perf_counter()
        c.execute(text("DELETE FROM fans WHERE account_id = :a"), {"a": raw})
    return done.seconds, time.perf_counter() - started, sum(done.deleted.values())


def sandbox_reset(directory: Path, *, postgres: bool = False, shared: bool = False) -> list[Result]:
    """A whole-team reset (what POST /sandbox/v1/reset runs, in-process) of an account of 100k fans, 100k
    deliveries and a 10k-member list, against one raw DELETE of another such account's 100k fan rows (its
    list members deleted first, untimed) in the same store; three rounds, each in a fresh store, medians."""
    rounds = []
    for n in range(3):
        database = harness.postgres_database() if postgres else harness.sqlite_database(directory, f"reset{n}")
        try:
            rounds.append(_reset_once(database, shared))
        finally:
            database.drop()
    reset_s, raw_s = _median([r[0] for r in rounds]), _median([r[1] for r in rounds])
    name = "sandbox_reset_100k" + ("_pg" if postgres else "") + ("_shared" if shared else "")
    where = ("PostgreSQL" if postgres else "SQLite") + (", beside another team's 100k" if shared else ", team alone")
    return [Result(name, reset_s / raw_s, "report" if shared else "≤ 0.5" if not postgres else "≤ 1.0",
                   f"{where}: reset of {rounds[0][2]:,} rows in {reset_s * 1000:.0f} ms "
                   f"(rounds: {', '.join(f'{r[0] * 1000:.0f}' for r in rounds)} ms)",
                   f"raw DELETE of {RESET_FANS:,} fans: {raw_s * 1000:.0f} ms "
                   f"(rounds: {', '.join(f'{r[1] * 1000:.0f}' for r in rounds)} ms)")]


def sandbox_reset_small(directory: Path, sizes: Sizes) -> list[Result]:
    """What the testing kit pays before every test: a whole-team reset over HTTP (massdm.testing's
    handle, against a real `massdm serve --sandbox`) of a used team (50 seeded fans, a delivered
    message, a fault, another webhook, a frozen clock), against the same server's answer to a
    trivial control call (GET /sandbox/v1/clock) in the same run; medians of `sizes.latency_runs`."""
    from massdm.testing import sandbox

    resets, clocks = [], []
    with sandbox() as sb:
        for n in range(sizes.latency_runs):
            sb.seed(50, seed=n)
            sb.client.mass_messaging.send(sb.account, text=f"round {n}", user_lists=["fans"])
            sb.fault("/api/{account}/fans/all", status=503, times=5)
            sb.client.webhooks.create(endpoint_url="http://127.0.0.1:9/other", events=["chat_queue.finished"],
                                      account_scope="global")
            sb.freeze()
            sb.advance(minutes=1)
            started = time.perf_counter()
            sb.clock()
            clocks.append(time.perf_counter() - started)
            started = time.perf_counter()
            sb.reset()
            resets.append(time.perf_counter() - started)
    reset_s, clock_s = _median(resets), _median(clocks)
    return [Result("sandbox_reset_small", reset_s * 1000, "≤ 100",
                   f"reset of a used team over HTTP: {reset_s * 1000:.0f} ms median (max {max(resets) * 1000:.0f})",
                   f"GET /sandbox/v1/clock: {clock_s * 1000:.1f} ms median")]


# --- the run --------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes: a smoke check under a minute")
    parser.add_argument("--only", default="", help="comma-separated benchmark names")
    args = parser.parse_args()
    sizes = QUICK if args.quick else FULL
    only = set(filter(None, args.only.split(",")))

    def wanted(*names: str) -> bool:
        return not only or bool(only & set(names))

    results: list[Result] = []
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="massdm-bench-") as tmp:
        directory = Path(tmp)
        steps: list[tuple[str, Callable[[], list[Result]]]] = []
        sqlite_db = harness.sqlite_database(directory, "fanout")
        state: dict = {}

        def sqlite_fanout() -> list[Result]:
            state["big"] = harness.creator(sqlite_db, sizes.fanout)
            return fanout(sqlite_db, directory, state["big"], "fanout_1m", "≤ 1.5")

        if wanted("fanout_1m", "fanout_rss_mb", "send_o1", "stats_opage"):
            steps.append(("fanout_1m", sqlite_fanout))
        if wanted("send_o1"):
            steps.append(("send_o1", lambda: send_o1(sqlite_db, directory, state["big"], sizes)))
        if wanted("stats_opage"):
            steps.append(("stats_opage", lambda: stats_opage(directory, sqlite_db, state["big"], sizes.fanout, sizes)))
        if wanted("fanout_1m_pg"):
            def pg_fanout() -> list[Result]:
                database = harness.postgres_database()
                try:
                    who = harness.creator(database, sizes.fanout)
                    return fanout(database, directory, who, "fanout_1m_pg", "≤ 2.0")
                finally:
                    database.drop()
            steps.append(("fanout_1m_pg", pg_fanout))
        if wanted("api_overhead"):
            steps.append(("api_overhead", lambda: api_overhead(directory, sizes)))
        if wanted("view_ingest"):
            steps.append(("view_ingest", lambda: view_ingest(directory, sizes)))
        if wanted("api_floor", "view_floor", "api_overhead", "view_ingest"):
            steps.append(("api_floor", lambda: floors(directory, sizes)))
        if wanted("fan_pages", "fan_pages_cold", "fan_lists"):
            steps.append(("fan_pages", lambda: fan_pages(directory, sizes)))
        if wanted("events_batch", "events_batch_rate"):
            steps.append(("events_batch", lambda: events_batch(directory, sizes)))

        if wanted("smartlist_plan"):
            steps.append(("smartlist_plan", lambda: smartlist_plan(directory, sizes)))
        if wanted("sandbox_engage_1m", "sandbox_engage_floor"):
            steps.append(("sandbox_engage_1m", lambda: sandbox_engage(directory, sizes)))
        if wanted("sandbox_seed_1m"):
            steps.append(("sandbox_seed_1m", lambda: sandbox_seed_1m(directory, sizes)))
        if wanted("sandbox_reset_small"):
            steps.append(("sandbox_reset_small", lambda: sandbox_reset_small(directory, sizes)))
        if wanted("sandbox_reset_100k", "sandbox_reset_100k_shared"):
            steps.append(("sandbox_reset_100k", lambda: sandbox_reset(directory)
                          + sandbox_reset(directory, shared=True)))
        if wanted("sandbox_reset_100k_pg", "sandbox_reset_100k_pg_shared"):
            steps.append(("sandbox_reset_100k_pg", lambda: sandbox_reset(directory, postgres=True)
                          + sandbox_reset(directory, postgres=True, shared=True)))

        for name, step in steps:
            console.log(f"running {name}")
            results += [r for r in step() if wanted(r.name) or r.target == "report"]  # ceilings go with their targets
        sqlite_db.drop()

    table = Table(title=f"massdm benchmarks ({'quick' if args.quick else 'full'}, "
                        f"{platform.processor() or platform.machine()}, {time.monotonic() - started:.0f} s)")
    for column in ("name", "ratio", "target", "met", "massdm", "baseline"):
        table.add_column(column)
    for r in results:
        met = "–" if r.target == "report" else "yes" if r.met else "NO"
        table.add_row(r.name, f"{r.value:.2f}", r.target, met, r.massdm, r.baseline)
    Console().print(table)
    print(json.dumps({r.name: round(r.value, 3) for r in results}))


if __name__ == "__main__":
    main()
