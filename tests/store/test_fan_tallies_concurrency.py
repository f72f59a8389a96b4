"""Kept counts stay exact when many transactions write one account's fans and lists at once.

On PostgreSQL (READ COMMITTED) the writers really overlap: each reads its batch's old rows and adds
the difference, so without the account's change lock two of them would count the same change
twice. Afterwards the kept figures must equal a recount from the rows.
"""

from __future__ import annotations

import random
import threading
from datetime import UTC, datetime, timedelta

from massdm.clock import ManualClock
from massdm.store import fan_tallies
from massdm.store import fans as fan_store
from massdm.store import user_lists as list_store
from massdm.store.db import create_store_engine, migrate, transaction
from massdm.store.fans import FanRecord
from tests.backends import database_url
from tests.conftest import World

BASE = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def _record(rng: random.Random, fan_id: int) -> FanRecord:
    return FanRecord(id=fan_id, username=f"fan{fan_id}", name=f"Fan {fan_id}",
                     subscribed_at=BASE - timedelta(minutes=rng.randrange(60)),
                     expires_at=rng.choice(
                         [None, BASE - timedelta(hours=1), BASE + timedelta(hours=rng.randrange(1, 50))]
                     ),
                     auto_renew=rng.random() < 0.5, following=rng.random() < 0.5, muted=rng.random() < 0.5,
                     tagged=rng.random() < 0.5, friend=rng.random() < 0.5)


def test_concurrent_writers_of_one_account_keep_exact_counts(tmp_path):
    engine = create_store_engine(database_url(tmp_path))
    migrate(engine)
    world = World(engine, ManualClock(BASE))
    account = world.account(world.team())
    with transaction(engine) as connection:
        fan_store.upsert_fans(connection, account, [_record(random.Random(0), i) for i in range(1, 201)], BASE)
        list_id = list_store.create_list(connection, account, "shared", BASE).id
    failures: list[BaseException] = []

    def write(seed: int) -> None:
        rng = random.Random(seed)
        try:
            for _ in range(15):
                with transaction(engine) as connection:
                    ids = rng.sample(range(1, 260), 40)  # known fans and new ones, overlapping other writers
                    fan_store.upsert_fans(connection, account, [_record(rng, i) for i in ids], BASE)
                    list_store.add_members(connection, list_id, account, rng.sample(range(1, 201), 20), BASE)
                    list_store.remove_member(connection, account, list_id, rng.randrange(1, 201))
        except BaseException as error:  # noqa: BLE001 - reported below
            failures.append(error)

    threads = [threading.Thread(target=write, args=(seed,)) for seed in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures, failures

    with transaction(engine) as connection:
        kept = {at: fan_tallies.system_list_counts(connection, account, at)
                for at in (BASE, BASE + timedelta(hours=20), BASE + timedelta(days=3))}
        size = list_store.get_list(connection, account, list_id).member_count
        fan_tallies.recount(connection, account)
        counted = {at: fan_tallies.system_list_counts(connection, account, at) for at in kept}
        in_list = sum(list_id in lists for lists in
                      fan_store.custom_lists_of_fans(connection, account, list(range(1, 260))).values())
    assert kept == counted
    assert size == in_list
