"""Exactly once under a real crash: SIGKILL the worker process mid-way through 200,000 deliveries,
start a new one, and the message ends with exactly 200,000 deliveries and counters equal to rows."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta

from sqlalchemy import func, select

from massdm.clock import SystemClock
from massdm.domain.banned_words import BannedWords
from massdm.services import mass_messaging as message_service
from massdm.services.mass_messaging import MessageDraft, Policy
from massdm.store import deliveries as delivery_store
from massdm.store import fans as fan_store
from massdm.store import messages as message_store
from massdm.store.db import create_store_engine, migrate, snapshot, transaction
from massdm.store.fans import FanRecord
from massdm.store.tables import deliveries
from tests import backends
from tests.conftest import World

FANS = 200_000


def _start_worker(directory, database_url: str) -> subprocess.Popen:
    env = {**os.environ, "MASSDM_DATABASE_URL": database_url, "MASSDM_DELIVERY_CHUNK_SIZE": "1000",
           "MASSDM_WORKER_LEASE_SECONDS": "2", "MASSDM_WORKER_POLL_SECONDS": "0.2",
           "MASSDM_MEDIA_DIR": str(directory / "media")}
    log = open(directory / "worker.log", "ab")  # noqa: SIM115 - lives as long as the process
    return subprocess.Popen([sys.executable, "-m", "massdm", "worker"], env=env, stdout=log, stderr=log)


def _message(engine, message_id: int):
    with snapshot(engine) as connection:
        return message_store.get_message_by_id(connection, message_id)


def _rows(engine, message_id: int) -> tuple[int, int]:
    with engine.connect() as connection:
        return connection.execute(
            select(func.count(), func.count(func.distinct(deliveries.c.fan_id))).where(
                deliveries.c.message_id == message_id)
        ).one()


def test_sigkill_mid_delivery_then_restart_delivers_each_fan_exactly_once(tmp_path):
    database_url = backends.database_url(tmp_path)
    engine = create_store_engine(database_url)
    migrate(engine)
    clock = SystemClock()
    world = World(engine, clock)
    team = world.team()
    account = world.account(team)
    now = clock.now()
    start = now - timedelta(days=10)
    for base in range(0, FANS, 20_000):
        batch = [FanRecord(id=n, username=f"fan{n}", name=f"Fan {n}", subscribed_at=start, expires_at=None,
                           auto_renew=True, following=False, muted=False, tagged=False, friend=False)
                 for n in range(base + 1, base + 20_001)]
        with transaction(engine) as connection:
            fan_store.upsert_fans(connection, account, batch, now)
    with transaction(engine) as connection:
        message = message_service.send(connection, account, MessageDraft(text="to all", user_lists=["fans"]),
                                       clock.now(), Policy(BannedWords.load(), 1_000_000))

    worker = _start_worker(tmp_path, database_url)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            current = _message(engine, message.id)
            if current.sent_count >= 30_000:
                break
            time.sleep(0.02)
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
    finally:
        if worker.poll() is None:
            worker.kill()

    killed = _message(engine, message.id)
    rows, distinct = _rows(engine, message.id)
    assert 0 < killed.sent_count < FANS, "the kill must land mid-delivery"
    assert killed.finished_at is None
    assert rows == distinct == killed.sent_count  # what committed is consistent, the torn chunk is gone

    restarted = _start_worker(tmp_path, database_url)
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and _message(engine, message.id).finished_at is None:
            time.sleep(0.2)
    finally:
        restarted.send_signal(signal.SIGTERM)
        restarted.wait(30)

    done = _message(engine, message.id)
    rows, distinct = _rows(engine, message.id)
    assert done.finished_at is not None, (tmp_path / "worker.log").read_text()[-2000:]
    assert rows == distinct == FANS
    assert done.sent_count == done.total == FANS and done.skipped_count == 0
    with transaction(engine) as connection:
        assert delivery_store.facts_for_message(connection, message.id)["sent"] == FANS
    assert restarted.returncode == 0  # SIGTERM is a clean stop
