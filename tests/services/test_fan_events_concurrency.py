"""Batches of fan events that overlap, applied at once, still count each view and purchase exactly once.

On PostgreSQL (READ COMMITTED) the batches really run together, with single purchases between
them and the platform restating fans' tips meanwhile: each event must be applied by exactly one of
them, no two writers may deadlock, and the messages' counters and the fans' spend must equal the
rows afterwards.
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from massdm.clock import ManualClock
from massdm.delivery.worker import DeliveryWorker, WorkerConfig
from massdm.domain.banned_words import BannedWords
from massdm.domain.fan_events import Event, Kind, Status
from massdm.errors import Conflict
from massdm.services import fan_events as event_service
from massdm.services import fan_inbox as inbox_service
from massdm.services import mass_messaging as message_service
from massdm.services.mass_messaging import MessageDraft, Policy
from massdm.store import deliveries as delivery_store
from massdm.store import fans as fan_store
from massdm.store import messages as message_store
from massdm.store.db import create_store_engine, migrate, transaction
from massdm.store.fans import FanRecord
from massdm.store.tables import fans, purchases
from tests.backends import database_url
from tests.conftest import World

BASE = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
FANS = 300


def test_overlapping_batches_apply_each_event_once_and_keep_counters_true(tmp_path):
    engine = create_store_engine(database_url(tmp_path))
    migrate(engine)
    clock = ManualClock(BASE)
    world = World(engine, clock)
    account = world.account(world.team())
    policy = Policy(BannedWords.load(), 1_000_000)
    with transaction(engine) as connection:
        fan_store.upsert_fans(connection, account, [
            FanRecord(id=i, username=f"fan{i}", name=f"Fan {i}", subscribed_at=BASE - timedelta(days=1),
                      expires_at=None, auto_renew=True, following=False, muted=False, tagged=False, friend=False)
            for i in range(1, FANS + 1)], BASE)
        messages = [message_service.send(connection, account, MessageDraft(text=f"m{n}", user_lists=["fans"]),
                                         BASE, policy).id for n in range(2)]
        paid = message_store.get_message_by_id(connection, messages[1])
        assert paid is not None  # a paid one (media skipped), priced before it goes out
        message_store.edit_unsent(connection, paid.id, message_store.MessageEdit(
            text=paid.text, raw_text=paid.raw_text, price_cents=500))
    DeliveryWorker(engine, clock, WorkerConfig(chunk_size=100)).run_until_idle()
    clock.advance(timedelta(minutes=1))

    applied: list[tuple[int, int, Kind]] = []
    sold_singly: list[tuple[int, int]] = []
    failures: list[BaseException] = []
    lock = threading.Lock()

    def report(seed: int) -> None:
        rng = random.Random(seed)
        try:
            for _ in range(6):
                events = [Event(rng.randint(1, FANS), rng.choice(messages), rng.choice(list(Kind)))
                          for _ in range(400)]
                with transaction(engine) as connection:
                    outcomes = event_service.record_events(connection, events, [account], clock.now())
                with lock:
                    applied.extend((e.message_id, e.fan_id, e.kind)
                                   for e, s in zip(events, outcomes.statuses, strict=True) if s is Status.APPLIED)
                fan_id = rng.randint(1, FANS)
                try:
                    with transaction(engine) as connection:
                        inbox_service.purchase(connection, fan_id, [account], messages[1], clock.now(), policy)
                    with lock:
                        sold_singly.append((messages[1], fan_id))
                except Conflict:
                    pass
        except BaseException as error:  # noqa: BLE001 - reported below
            failures.append(error)

    tips: dict[int, int] = {}

    def restate_tips() -> None:
        """The platform upserts tips for fans in no particular order, while they buy."""
        rng = random.Random(99)
        try:
            for _ in range(6):
                ids = rng.sample(range(1, FANS + 1), 150)
                records = [FanRecord(id=i, username=f"fan{i}", name=f"Fan {i}", subscribed_at=BASE, expires_at=None,
                                     auto_renew=True, following=False, muted=False, tagged=False, friend=False,
                                     tips_cents=rng.choice([0, 100, 2500]), provided=frozenset({"tips_cents"}))
                           for i in ids]
                with transaction(engine) as connection:
                    fan_store.upsert_fans(connection, account, records, clock.now())
                tips.update({r.id: r.tips_cents for r in records})
        except BaseException as error:  # noqa: BLE001 - reported below
            failures.append(error)

    threads = [threading.Thread(target=report, args=(seed,)) for seed in range(4)]
    threads.append(threading.Thread(target=restate_tips))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures, failures

    bought = [(m, f) for m, f, kind in applied if kind is Kind.PURCHASE] + sold_singly
    assert len(bought) == len(set(bought))  # nobody bought anything twice
    assert not [1 for m, _, kind in applied if kind is Kind.PURCHASE and m == messages[0]]  # the free one
    views = [(m, f) for m, f, kind in applied if kind is Kind.VIEW]
    assert len(views) == len(set(views))
    with transaction(engine) as connection:
        for message_id in messages:
            facts = delivery_store.facts_for_message(connection, message_id)
            message = message_store.get_message_by_id(connection, message_id)
            assert (message.viewed_count, message.purchased_count, message.revenue_cents) == (
                facts["viewed"], facts["purchased"], facts["revenue_cents"])
        free, paid = (delivery_store.facts_for_message(connection, m) for m in messages)
    assert free["viewed"] == sum(1 for m, _ in views if m == messages[0])
    assert paid["purchased"] == len(bought) and paid["revenue_cents"] == 500 * len(bought)
    # a paid message's views: the view events applied, plus the purchases that came before any view
    paid_views = sum(1 for m, _ in views if m == messages[1])
    assert paid_views <= paid["viewed"] <= paid_views + len(bought)
    assert len(views) > 100 and len(bought) > 50  # the batches really overlapped on live pairs

    spent = Counter(f for _, f in bought)
    with transaction(engine) as connection:
        rows = connection.execute(select(fans.c.id, fans.c.purchases_cents, fans.c.tips_cents,
                                         fans.c.total_spent_cents).where(fans.c.account_id == account)).all()
        by_rows = dict(connection.execute(select(purchases.c.fan_id, func.sum(purchases.c.amount_cents))
                                          .group_by(purchases.c.fan_id)).all())
    assert {r.id: r.purchases_cents for r in rows if r.purchases_cents} == {f: 500 * n for f, n in spent.items()}
    assert {f: int(c) for f, c in by_rows.items()} == {f: 500 * n for f, n in spent.items()}
    assert all(r.total_spent_cents == r.purchases_cents + r.tips_cents for r in rows)
    assert {r.id: r.tips_cents for r in rows if r.id in tips} == tips
