"""Delivery throughput: massdm's chunked, crash-safe fan-out against the set-based floor.

Both run in the same process on the same machine, on fresh SQLite files:
  baseline  one INSERT ... SELECT of every eligible fan into a deliveries table, one transaction
            (the fastest a single statement can write the rows; no chunking, no resume, no counters)
  massdm    the real worker: count the audience and plan chunks of MASSDM_DELIVERY_CHUNK_SIZE,
            then claim each chunk under a lease and commit its deliveries + done mark + counter
The ratio (massdm / baseline) is the price of chunking and exactly-once; machines here are
noisy, so compare ratios, not seconds.

    python bench/delivery.py [--fans 200000] [--chunk 2000] [--runs 3]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import text

from massdm.clock import SystemClock
from massdm.delivery.worker import DeliveryWorker, WorkerConfig
from massdm.domain.banned_words import BannedWords
from massdm.services import accounts as account_service
from massdm.services import mass_messaging as message_service
from massdm.services.mass_messaging import MessageDraft, Policy
from massdm.store import fans as fan_store
from massdm.store.db import create_store_engine, migrate, transaction
from massdm.store.fans import FanRecord


def _world(directory: Path, fans: int):  # noqa: ANN202
    engine = create_store_engine(f"sqlite:///{directory / 'bench.db'}")
    migrate(engine)
    clock = SystemClock()
    now = clock.now()
    with transaction(engine) as c:
        team = account_service.ensure_team(c, slug="bench", name="Bench", credits=10**9, now=now)
        account = account_service.create_account(c, team=team, display_name="Bench", username=None, now=now).id
    for base in range(0, fans, 20_000):
        batch = [FanRecord(id=n, username=f"fan{n}", name=f"Fan {n}", subscribed_at=now - timedelta(days=9),
                           expires_at=None if n % 10 else now - timedelta(days=1), auto_renew=bool(n % 3),
                           following=False, muted=False, tagged=False, friend=False)
                 for n in range(base + 1, min(fans, base + 20_000) + 1)]
        with transaction(engine) as c:
            fan_store.upsert_fans(c, account, batch, now)
    return engine, clock, account


def baseline(directory: Path, fans: int) -> float:
    engine, clock, account = _world(directory, fans)
    with transaction(engine) as c:
        c.execute(text("CREATE TABLE floor (message_id INTEGER, fan_id INTEGER, account_id TEXT, "
                       "delivered_at TEXT, PRIMARY KEY (message_id, fan_id))"))
    started = time.perf_counter()
    with transaction(engine) as c:
        c.execute(text("INSERT INTO floor SELECT 1, id, account_id, :now FROM fans WHERE account_id = :a "
                       "AND (expires_at IS NULL OR expires_at > :now) ORDER BY id"),
                  {"a": account, "now": clock.now().replace(tzinfo=None)})
    return time.perf_counter() - started


def massdm(directory: Path, fans: int, chunk: int) -> tuple[float, int]:
    engine, clock, account = _world(directory, fans)
    with transaction(engine) as c:
        message_service.send(c, account, MessageDraft(text="bench", user_lists=["fans"]), clock.now(),
                             Policy(BannedWords.load(), 1_000_000))
    worker = DeliveryWorker(engine, clock, WorkerConfig(chunk_size=chunk))
    started = time.perf_counter()
    worker.run_until_idle()
    elapsed = time.perf_counter() - started
    with engine.connect() as c:
        delivered = c.execute(text("SELECT count(*) FROM deliveries")).scalar_one()
    return elapsed, delivered


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fans", type=int, default=200_000)
    parser.add_argument("--chunk", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    floors, ours = [], []
    delivered = 0
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory() as a, tempfile.TemporaryDirectory() as b:
            floors.append(baseline(Path(a), args.fans))
            seconds, delivered = massdm(Path(b), args.fans, args.chunk)
            ours.append(seconds)
    floor, mine = statistics.median(floors), statistics.median(ours)
    print(f"fans: {args.fans:,} ({delivered:,} eligible, delivered), chunk: {args.chunk}, runs: {args.runs}")
    print(f"baseline single INSERT...SELECT: {floor:.3f} s  ({delivered / floor:,.0f} rows/s)")
    print(f"massdm chunked worker:           {mine:.3f} s  ({delivered / mine:,.0f} rows/s)")
    print(f"ratio massdm/baseline: {mine / floor:.2f}x")


if __name__ == "__main__":
    main()
