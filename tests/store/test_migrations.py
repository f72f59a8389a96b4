"""Migrations back-fill what they start keeping: 0007 tallies, list sizes and the members' copied dates; 0010
what fans spent and how long their subscriptions lasted; 0012 when each fan last bought."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from alembic import command
from alembic.config import Config
from sqlalchemy import bindparam, insert, select, text

from massdm.domain.fan_targeting import Targeting
from massdm.store import fan_pages, fan_tallies
from massdm.store import user_lists as list_store
from massdm.store.db import MIGRATIONS_DIR, create_store_engine, migrate, transaction
from massdm.store.fan_pages import Listing
from massdm.store.page_marks import PageMarks
from massdm.store.tables import accounts, fans, mass_messages, purchases, teams, user_list_members
from massdm.store.types import UTCDateTime
from tests.backends import database_url

NOW = datetime(2026, 11, 30, 18, 0, tzinfo=UTC)


def _upgrade(engine, revision: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def test_fans_and_lists_from_before_the_tallies_are_counted_and_page_in_order(tmp_path):
    engine = create_store_engine(database_url(tmp_path))
    _upgrade(engine, "0006")
    rows = [{"account_id": "acct_old", "id": i, "username": f"fan{i}", "name": f"Fan {i}",
             "subscribed_at": NOW - timedelta(hours=i * 7),
             "expires_at": NOW + timedelta(hours=i - 5) if i % 2 else None,
             "auto_renew": i % 3 != 0, "following": i % 4 == 0, "muted": False, "tagged": i == 1, "friend": False,
             "created_at": NOW, "updated_at": NOW} for i in range(1, 13)]
    with engine.begin() as connection:
        connection.execute(insert(teams).values(id=1, name="Old", slug="old", credit_balance=10, created_at=NOW))
        connection.execute(insert(accounts).values(id="acct_old", team_id=1, display_name="Old", username="old",
                                                   onlyfans_id=1, created_at=NOW))
        connection.execute(insert(fans), rows)
        connection.execute(text("INSERT INTO user_lists (id, account_id, name, is_pinned_to_feed, created_at) "
                                "VALUES (7, 'acct_old', 'VIP', false, :now)").bindparams(
                                    bindparam("now", type_=UTCDateTime())), {"now": NOW})
        for fan_id in (3, 9, 4, 11):
            connection.execute(text("INSERT INTO user_list_members (list_id, fan_id, account_id, added_at) "
                                    "VALUES (7, :fan, 'acct_old', :now)").bindparams(
                                        bindparam("now", type_=UTCDateTime())), {"fan": fan_id, "now": NOW})

    migrate(engine)

    def active(row: dict) -> bool:
        return row["expires_at"] is None or row["expires_at"] > NOW

    with transaction(engine) as connection:
        assert fan_tallies.system_list_counts(connection, "acct_old", NOW) == {
            "fans": sum(map(active, rows)),
            "recent": sum(active(r) and r["subscribed_at"] >= NOW - timedelta(hours=24) for r in rows),
            "following": 3, "rebill_on": sum(active(r) and r["auto_renew"] for r in rows),
            "rebill_off": sum(active(r) and not r["auto_renew"] for r in rows), "tagged": 1, "friends": 0, "muted": 0,
        }
        assert list_store.get_list(connection, "acct_old", 7).member_count == 4
        copied = dict(connection.execute(select(user_list_members.c.fan_id, user_list_members.c.subscribed_at)).all())
        assert copied == {i: NOW - timedelta(hours=i * 7) for i in (3, 9, 4, 11)}
        members, _ = fan_pages.page_listing(connection, Listing("acct_old", members_of=7), offset=1, limit=10, now=NOW,
                                            marks=PageMarks())
        assert [f.id for f in members] == [4, 9, 11]


def test_fans_from_before_their_spend_get_their_purchases_and_terms(tmp_path):
    """Migration 0010: purchases summed per fan, subscription lengths floored to the second, exactly;
    0012: each buyer's latest purchase time, whatever order the rows came in."""
    engine = create_store_engine(database_url(tmp_path))
    _upgrade(engine, "0008")
    half = timedelta(microseconds=500_000)
    dates = {  # fan id: (subscribed_at, expires_at)
        1: (NOW - timedelta(days=40), None),
        2: (NOW - timedelta(days=40) + half, NOW - timedelta(days=10)),  # 30 days less half a second
        3: (NOW - timedelta(days=40), NOW - timedelta(days=10) + half),  # 30 days and half a second
        4: (NOW - timedelta(days=40) + half, NOW - timedelta(days=10) + half),  # 30 days exactly
        5: (NOW, NOW - timedelta(hours=1)),  # ended before it began
    }
    with engine.begin() as connection:
        connection.execute(insert(teams).values(id=1, name="Old", slug="old", credit_balance=10, created_at=NOW))
        connection.execute(insert(accounts).values(id="acct_old", team_id=1, display_name="Old", username="old",
                                                   onlyfans_id=1, created_at=NOW))
        connection.execute(insert(fans), [
            {"account_id": "acct_old", "id": i, "username": f"fan{i}", "name": f"Fan {i}", "subscribed_at": since,
             "expires_at": until, "auto_renew": True, "following": False, "muted": False, "tagged": False,
             "friend": False, "created_at": NOW, "updated_at": NOW} for i, (since, until) in dates.items()])
        connection.execute(insert(mass_messages), [
            {"id": m, "account_id": "acct_old", "text": "paid", "raw_text": "paid", "locked_text": False,
             "price_cents": 500, "release_forms": {}, "user_lists": [], "excluded_lists": [], "created_at": NOW,
             "saved_for_later": False, "total": 0, "skipped_count": 0, "sent_count": 0, "viewed_count": 0,
             "purchased_count": 0, "revenue_cents": 0} for m in (1, 2)])
        connection.execute(insert(purchases), [
            {"message_id": m, "account_id": "acct_old", "fan_id": f, "amount_cents": cents, "purchased_at": at}
            for m, f, cents, at in ((2, 1, 1250, NOW - timedelta(hours=2)), (1, 1, 500, NOW - timedelta(days=3)),
                                    (1, 3, 500, NOW - timedelta(microseconds=1)))])

    migrate(engine)

    with transaction(engine) as connection:
        rows = connection.execute(select(fans.c.id, fans.c.purchases_cents, fans.c.total_spent_cents,
                                         fans.c.tips_cents, fans.c.online, fans.c.term_seconds,
                                         fans.c.last_purchase_at)).all()
        assert {r.id: tuple(r)[1:] for r in rows} == {
            1: (1750, 1750, 0, False, None, NOW - timedelta(hours=2)),
            2: (0, 0, 0, False, 30 * 86400 - 1, None),
            3: (500, 500, 0, False, 30 * 86400, NOW - timedelta(microseconds=1)),
            4: (0, 0, 0, False, 30 * 86400, None),
            5: (0, 0, 0, False, -3600, None),
        }
        month = Listing("acct_old", "expired", targeting=Targeting(min_duration=timedelta(days=30)))
        lasted, _ = fan_pages.page_listing(connection, month, offset=0, limit=10, now=NOW, marks=PageMarks())
        assert [f.id for f in lasted] == [4, 3]
        spent, _ = fan_pages.page_listing(connection, Listing("acct_old", targeting=Targeting(min_spent_cents=1000)),
                                          offset=0, limit=10, now=NOW, marks=PageMarks())
        assert [f.id for f in spent] == [1]
