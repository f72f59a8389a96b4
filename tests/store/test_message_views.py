"""Message views: a message with its media, previews and named fans, and its queue state, in a few queries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import event

from massdm.clock import ManualClock
from massdm.store import media as media_store
from massdm.store import message_views
from massdm.store import messages as message_store
from massdm.store.db import create_store_engine, migrate, transaction
from massdm.store.media import StoredFile
from massdm.store.messages import NewMessage
from tests.backends import database_url
from tests.conftest import World

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _setup(tmp_path):
    engine = create_store_engine(database_url(tmp_path))
    migrate(engine)
    world = World(engine, ManualClock(NOW))
    return engine, world.account(world.team())


def _message(connection, account: str, **values: object) -> int:
    return message_store.insert_message(connection, NewMessage(**{
        "account_id": account, "text": "Hi", "raw_text": "Hi", "locked_text": False, "price_cents": 0,
        "giphy_id": None, "release_forms": {}, "user_lists": ["fans"], "excluded_lists": [], "subscribed_since": None,
        "created_at": NOW, "saved_for_later": False, "scheduled_at": None, "due_at": NOW, **values}))


def _media(connection, account: str, n: int) -> int:
    return media_store.insert_media(
        connection, account_id=account, upload_id=f"ofapi_media_{n:032x}", type="photo", mime="image/jpeg",
        file_name=f"{n}.jpg", width=10, height=10, duration=0,
        files=[StoredFile("full", f"{account}/{n}/full.jpg", 10, 10, 100)], now=NOW)


def test_views_carry_media_in_order_previews_and_named_fans_only_when_asked(tmp_path):
    engine, account = _setup(tmp_path)
    with transaction(engine) as connection:
        first, second = _media(connection, account, 1), _media(connection, account, 2)
        with_media = _message(connection, account, price_cents=900)
        message_store.set_media(connection, with_media, [(second, False), (first, True)])
        message_store.set_user_ids(connection, with_media, [5, 3])
        plain = _message(connection, account)
        messages = list(message_store.messages_by_ids(connection, [with_media, plain]).values())
        brief = message_views.describe(connection, messages, NOW, 600, named_fans=False)
        full = message_views.describe(connection, messages, NOW, 600, named_fans=True)
    by_id = {v.message.id: v for v in full}
    assert [m.id for m in by_id[with_media].media] == [second, first] and by_id[with_media].preview_ids == [first]
    assert by_id[with_media].user_ids == [3, 5] and by_id[plain].user_ids == [] and by_id[plain].media == []
    assert all(v.user_ids == [] for v in brief)
    assert by_id[plain].status == "queued" and by_id[plain].state.unsend_seconds == 600


def test_a_message_waits_while_its_media_is_processed(tmp_path):
    engine, account = _setup(tmp_path)
    with transaction(engine) as connection:
        photo = _media(connection, account, 1)
        media_store.set_ready(connection, photo, False)
        message_id = _message(connection, account)
        message_store.set_media(connection, message_id, [(photo, False)])
        [view] = message_views.describe(connection, [message_store.get_message_by_id(connection, message_id)], NOW,
                                        600, named_fans=False)
    assert view.state.is_ready is False


def test_the_number_of_queries_does_not_grow_with_the_messages(tmp_path):
    engine, account = _setup(tmp_path)
    with transaction(engine) as connection:
        photo = _media(connection, account, 1)
        ids = [_message(connection, account, created_at=NOW - timedelta(seconds=n)) for n in range(30)]
        for message_id in ids:
            message_store.set_media(connection, message_id, [(photo, False)])
        messages = list(message_store.messages_by_ids(connection, ids).values())
        statements: list[str] = []
        listener = lambda *args: statements.append(args[2])  # noqa: E731 - (conn, cursor, statement, ...)
        event.listen(engine, "before_cursor_execute", listener)
        try:
            views = message_views.describe(connection, messages, NOW, 600, named_fans=True)
        finally:
            event.remove(engine, "before_cursor_execute", listener)
    assert len(views) == 30 and all(v.media[0].id == photo for v in views)
    assert len(statements) <= 4  # media refs, named fans, the media items (with their files)
