"""Two `massdm worker` processes share one 500,000-fan message; one is SIGKILLed mid-way.

Both deliver chunks (the chunk table says who delivered what), the survivor's sweeper frees
whatever the dead one held once its lease runs out, and the message ends with exactly
500,000 deliveries, no duplicates, and counters equal to rows.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta

from sqlalchemy import func, insert, select

from massdm.clock import SystemClock
from massdm.domain.banned_words import BannedWords
from massdm.services import mass_messaging as message_service
from massdm.services.mass_messaging import MessageDraft, Policy
from massdm.store import delivery_chunks as chunk_store
from massdm.store import fan_tallies
from massdm.store import messages as message_store
from massdm.store.db import create_store_engine, migrate, snapshot, transaction
from massdm.store.tables import deliveries, fans
from tests import backends
from tests.conftest import World

FANS = 500_000


def _start_worker(directory, database_url: str, name: str) -> subprocess.Popen:
    env = {**os.environ, "MASSDM_DATABASE_URL": database_url, "MASSDM_DELIVERY_CHUNK_SIZE": "2000",
           "MASSDM_WORKER_LEASE_SECONDS": "2", "MASSDM_WORKER_POLL_SECONDS": "0.2",
           "MASSDM_MEDIA_DIR": str(directory / "media"), **backends.redis_env()}
    log = open(directory / f"{name}.log", "ab")  # noqa: SIM115 - lives as long as the process
    return subprocess.Popen([sys.executable, "-m", "massdm", "worker", "--name", name], env=env, stdout=log,
                            stderr=log)


def _add_fans(engine, account: str, now) -> None:
    """500,000 active fans, written in batches (the fan import path is tested elsewhere; here only volume matters).

    Raw rows bypass the tallies every fan write keeps, so they are recounted after.
    """
    start = now - timedelta(days=10)
    columns = {"account_id": account, "subscribed_at": start, "expires_at": None, "auto_renew": True,
               "following": False, "muted": False, "tagged": False, "friend": False, "created_at": now,
               "updated_at": now}
    for base in range(0, FANS, 50_000):
        with transaction(engine) as connection:
            connection.execute(insert(fans), [
                {**columns, "id": n, "username": f"fan{n}", "name": f"Fan {n}"} for n in range(base + 1, base + 50_001)
            ])
    with transaction(engine) as connection:
        fan_tallies.recount(connection, account)


def _progress(engine, message_id: int):
    with snapshot(engine) as connection:
        message = message_store.get_message_by_id(connection, message_id)
        chunks = chunk_store.of_message(connection, message_id)
    return message, chunks


def test_two_workers_share_a_message_and_one_dies_mid_way(tmp_path):
    database_url = backends.database_url(tmp_path)
    engine = create_store_engine(database_url)
    migrate(engine)
    clock = SystemClock()
    world = World(engine, clock)
    account = world.account(world.team())
    _add_fans(engine, account, clock.now())
    with transaction(engine) as connection:
        message = message_service.send(connection, account, MessageDraft(text="to all", user_lists=["fans"]),
                                       clock.now(), Policy(BannedWords.load(), 1_000_000))

    doomed = _start_worker(tmp_path, database_url, "doomed")
    survivor = _start_worker(tmp_path, database_url, "survivor")
    try:
        # Kill `doomed` once both have delivered chunks and it holds one in hand, if it can be caught so.
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            current, chunks = _progress(engine, message.id)
            done_by = {c.claimed_by for c in chunks if c.done_at is not None}
            holds_one = any(c.claimed_by == "doomed" and c.done_at is None for c in chunks)
            if {"doomed", "survivor"} <= done_by and current.sent_count >= 100_000 and (
                holds_one or current.sent_count > 300_000
            ):
                break
            time.sleep(0.005)
        doomed.send_signal(signal.SIGKILL)
        doomed.wait(10)
        killed, chunks = _progress(engine, message.id)
        held_at_death = [c.seq for c in chunks if c.claimed_by == "doomed" and c.done_at is None]
        assert killed.finished_at is None, "the kill must land mid-delivery"

        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and _progress(engine, message.id)[0].finished_at is None:
            time.sleep(0.2)
    finally:
        for process in (doomed, survivor):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                process.wait(30)

    done, chunks = _progress(engine, message.id)
    assert done.finished_at is not None, (tmp_path / "survivor.log").read_text()[-2000:]
    with engine.connect() as connection:
        rows, distinct = connection.execute(
            select(func.count(), func.count(func.distinct(deliveries.c.fan_id)))
            .where(deliveries.c.message_id == message.id)
        ).one()
    assert rows == distinct == FANS
    assert done.sent_count == done.total == FANS and done.skipped_count == 0
    assert sum(c.delivered for c in chunks) == FANS and all(c.done_at is not None for c in chunks)

    by_worker = {name: sum(1 for c in chunks if c.claimed_by == name) for name in ("doomed", "survivor")}
    assert by_worker["doomed"] > 0 and by_worker["survivor"] > 0, by_worker  # both did chunks
    assert by_worker["doomed"] + by_worker["survivor"] == len(chunks) == FANS // 2000 + 1
    for seq in held_at_death:  # what the dead worker held was recovered and delivered by the survivor
        recovered = chunks[seq]
        assert (recovered.claimed_by, recovered.attempts) == ("survivor", 2)
    print(f"chunks by worker: {by_worker}; held by the killed worker at its death: {held_at_death}")
    assert survivor.returncode == 0
