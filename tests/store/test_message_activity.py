"""A message's activity over time (store/deliveries.py): deliveries, first views and purchases per time
bucket, in one statement, equal on SQLite and PostgreSQL to the same counts made in Python."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import insert

from massdm.clock import ManualClock
from massdm.store import deliveries as delivery_store
from massdm.store import messages as message_store
from massdm.store.db import create_store_engine, migrate, transaction
from massdm.store.messages import NewMessage
from massdm.store.tables import deliveries
from tests.backends import database_url
from tests.conftest import World

ORIGIN = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def _setup(tmp_path):
    engine = create_store_engine(database_url(tmp_path))
    migrate(engine)
    world = World(engine, ManualClock(ORIGIN))
    return engine, world.account(world.team())


def _message(connection, account: str) -> int:
    return message_store.insert_message(connection, NewMessage(
        account_id=account, text="Hi", raw_text="Hi", locked_text=False, price_cents=500, giphy_id=None,
        release_forms={}, user_lists=["fans"], excluded_lists=[], subscribed_since=None, created_at=ORIGIN,
        saved_for_later=False, scheduled_at=None, due_at=ORIGIN))


def _deliver(connection, account: str, message_id: int, rows: list[tuple]) -> None:
    connection.execute(insert(deliveries), [
        {"message_id": message_id, "fan_id": fan, "account_id": account, "delivered_at": at, "viewed_at": viewed,
         "purchased_at": bought} for fan, at, viewed, bought in rows])


def _expected(rows: list[tuple], origin: datetime, size: timedelta) -> list[tuple[int, int, int, int]]:
    """The same counts, in Python: each moment's bucket by whole seconds."""
    counts: dict[int, list[int]] = {}
    for _, *moments in rows:
        for kind, moment in enumerate(moments):
            if moment is not None:
                bucket = int((moment - origin).total_seconds() // size.total_seconds())
                counts.setdefault(bucket, [0, 0, 0])[kind] += 1
    return [(b, *counts[b]) for b in sorted(counts)]


def test_deliveries_views_and_purchases_are_counted_per_bucket_edges_included(tmp_path):
    engine, account = _setup(tmp_path)
    edge = ORIGIN + HOUR
    rows = [
        (1, ORIGIN, ORIGIN + timedelta(minutes=5), None),
        (2, ORIGIN + timedelta(microseconds=1), None, None),
        (3, edge - timedelta(microseconds=1), edge, edge + timedelta(minutes=1)),  # the last instant of hour 0
        (4, edge, edge + timedelta(seconds=30), None),  # the first of hour 1
        (5, edge + timedelta(minutes=59, seconds=59, microseconds=999_999), edge + 3 * HOUR, edge + 3 * HOUR),
        (6, ORIGIN + timedelta(minutes=7), ORIGIN + 5 * HOUR + timedelta(seconds=1), ORIGIN + 5 * HOUR),
    ]
    with transaction(engine) as connection:
        message_id = _message(connection, account)
        other = _message(connection, account)
        _deliver(connection, account, message_id, rows)
        _deliver(connection, account, other, [(1, ORIGIN, ORIGIN, ORIGIN), (9, edge, edge, None)])
        counted = delivery_store.activity_per_bucket(connection, message_id, origin=ORIGIN, bucket_seconds=3600)
        span = delivery_store.activity_span(connection, message_id)
        in_minutes = delivery_store.activity_per_bucket(connection, message_id, origin=ORIGIN, bucket_seconds=60)
    assert [(c.bucket, c.delivered, c.viewed, c.purchased) for c in counted] == _expected(rows, ORIGIN, HOUR) == [
        (0, 4, 1, 0), (1, 2, 2, 1), (4, 0, 1, 1), (5, 0, 1, 1)]
    assert sum(c.delivered for c in counted) == 6 and sum(c.viewed for c in counted) == 5
    assert [(c.bucket, c.delivered, c.viewed, c.purchased) for c in in_minutes] == _expected(
        rows, ORIGIN, timedelta(minutes=1))
    assert span == delivery_store.ActivitySpan(ORIGIN, ORIGIN + 5 * HOUR + timedelta(seconds=1))


def test_a_message_nobody_received_has_no_span_and_no_buckets(tmp_path):
    engine, account = _setup(tmp_path)
    with transaction(engine) as connection:
        message_id = _message(connection, account)
        assert delivery_store.activity_span(connection, message_id) is None
        assert delivery_store.activity_per_bucket(connection, message_id, origin=ORIGIN, bucket_seconds=60) == []
