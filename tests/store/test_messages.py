"""Mass-message rows change only through named functions: an edit, a cancel, a release from saved."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from massdm.clock import ManualClock
from massdm.store import message_claims as claim_store
from massdm.store import messages as message_store
from massdm.store.db import create_store_engine, migrate, transaction
from massdm.store.messages import MessageEdit, NewMessage
from tests.backends import database_url
from tests.conftest import World

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
LEASE = timedelta(seconds=30)


@pytest.fixture
def engine(tmp_path):
    engine = create_store_engine(database_url(tmp_path))
    migrate(engine)
    return engine


@pytest.fixture
def account(engine) -> str:
    world = World(engine, ManualClock(NOW))
    return world.account(world.team())


def _insert(engine, account: str, **values: object) -> int:
    new = {"account_id": account, "text": "<b>Hi</b>", "raw_text": "Hi", "locked_text": False, "price_cents": 0,
           "giphy_id": None, "release_forms": {}, "user_lists": ["fans"], "excluded_lists": [],
           "subscribed_since": None, "created_at": NOW, "saved_for_later": False, "scheduled_at": None,
           "due_at": NOW, **values}
    with transaction(engine) as connection:
        return message_store.insert_message(connection, NewMessage(**new))


def test_a_new_message_starts_uncounted_with_zero_counters(engine, account):
    message_id = _insert(engine, account, price_cents=900, user_lists=["fans", "7"])
    with transaction(engine) as connection:
        message = message_store.get_message(connection, account, message_id)
    assert message is not None and message.user_lists == ["fans", "7"] and message.price_cents == 900
    assert (message.total, message.sent_count, message.skipped_count, message.viewed_count,
            message.purchased_count, message.revenue_cents) == (-1, 0, 0, 0, 0, 0)


def test_an_edit_changes_what_it_names_and_takes_the_planning_claim_away(engine, account):
    message_id = _insert(engine, account, locked_text=True, giphy_id="g1")
    with transaction(engine) as connection:
        assert claim_store.claim(connection, message_id, "worker-a", NOW, LEASE) is not None
        message_store.edit_unsent(connection, message_id, MessageEdit(text="Bye", raw_text="Bye", price_cents=300))
        edited = message_store.get_message(connection, account, message_id)
    assert edited is not None and (edited.text, edited.price_cents) == ("Bye", 300)
    assert (edited.locked_text, edited.giphy_id, edited.user_lists) == (True, "g1", ["fans"])  # not named: kept
    assert edited.claimed_by is None and edited.lease_until is None  # the worker counts again


def test_a_new_time_takes_a_message_out_of_saved_for_later(engine, account):
    message_id = _insert(engine, account, saved_for_later=True, due_at=None)
    later = NOW + timedelta(hours=2)
    with transaction(engine) as connection:
        message_store.edit_unsent(connection, message_id, MessageEdit(
            text="Hi", raw_text="Hi", price_cents=0, user_lists=["recent"], scheduled_at=later))
        edited = message_store.get_message(connection, account, message_id)
    assert edited is not None and (edited.saved_for_later, edited.scheduled_at, edited.due_at) == (False, later, later)
    assert edited.user_lists == ["recent"]


def test_a_released_saved_message_is_due_now_and_a_canceled_one_is_never_claimed(engine, account):
    saved = _insert(engine, account, saved_for_later=True, due_at=None)
    queued = _insert(engine, account)
    with transaction(engine) as connection:
        message_store.release_saved(connection, saved, NOW)
        message_store.cancel(connection, queued, NOW)
        released = message_store.get_message(connection, account, saved)
        assert released is not None and (released.saved_for_later, released.due_at) == (False, NOW)
        assert claim_store.claim(connection, queued, "worker-a", NOW, LEASE) is None
        assert claim_store.claim_next(connection, "worker-a", NOW, LEASE).id == saved
