"""Hot statements run on the driver give exactly what `Connection.execute` gives, on either backend."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError

from massdm.store.db import create_store_engine, migrate, transaction
from massdm.store.hot import HotStatement
from massdm.store.tables import teams
from tests.backends import database_url

NOW = datetime(2026, 5, 1, 12, 30, 15, 123456, tzinfo=UTC)


@pytest.fixture
def engine(tmp_path):
    engine = create_store_engine(database_url(tmp_path))
    migrate(engine)
    with transaction(engine) as connection:
        connection.execute(insert(teams), [
            {"name": "one", "slug": "one", "credit_balance": 10, "created_at": NOW},
            {"name": "two", "slug": "two", "credit_balance": 0, "created_at": NOW},
        ])
    yield engine
    engine.dispose()


def test_rows_are_the_rows_sqlalchemy_gives_with_the_same_types_by_name(engine):
    statement = (select(teams.c.id, teams.c.slug, teams.c.created_at, teams.c.name.label("team_name"))
                 .where(teams.c.credit_balance >= bindparam("least")).order_by(teams.c.id))
    hot = HotStatement(statement)
    with transaction(engine) as connection:
        expected = connection.execute(statement, {"least": 0}).all()
        rows = hot.all(connection, least=0)
        assert [tuple(r) for r in rows] == [tuple(r) for r in expected]
        assert rows[0].created_at == NOW and rows[0].created_at.tzinfo is UTC  # through UTCDateTime
        assert rows[1].team_name == "two"
        assert hot.first(connection, least=5).slug == "one"
        assert hot.first(connection, least=100) is None


def test_a_parameter_used_twice_and_a_returning_update_are_bound_right(engine):
    take = HotStatement(update(teams).where(teams.c.slug == bindparam("slug"),
                                            teams.c.credit_balance >= bindparam("amount"))
                        .values(credit_balance=teams.c.credit_balance - bindparam("amount"))
                        .returning(teams.c.credit_balance))
    with transaction(engine) as connection:
        assert take.first(connection, slug="one", amount=4).credit_balance == 6
        assert take.first(connection, slug="one", amount=7) is None  # the guard holds: nothing taken
        assert take.first(connection, slug="one", amount=6).credit_balance == 0


def test_literal_values_of_the_statement_are_bound_too(engine):
    literal = HotStatement(select(teams.c.slug).where(teams.c.credit_balance > 5, teams.c.slug != "x"))
    with transaction(engine) as connection:
        assert [r.slug for r in literal.all(connection)] == ["one"]


def test_a_statement_that_changes_rows_says_how_many(engine):
    stamp = HotStatement(update(teams).where(teams.c.credit_balance == bindparam("balance"))
                         .values(name=bindparam("name")))
    with transaction(engine) as connection:
        assert stamp.run(connection, balance=0, name="renamed") == 1
        assert connection.execute(select(teams.c.name).where(teams.c.slug == "two")).scalar() == "renamed"


def test_a_list_of_ids_expands_per_call_and_nothing_but_integers_gets_in(engine):
    by_ids = HotStatement(select(teams.c.slug).where(teams.c.id.in_(bindparam("ids", expanding=True)),
                                                     teams.c.credit_balance >= bindparam("least"))
                          .order_by(teams.c.id))
    with transaction(engine) as connection:
        ids = [row.id for row in connection.execute(select(teams.c.id).order_by(teams.c.id))]
        assert [r.slug for r in by_ids.all(connection, ids=ids, least=0)] == ["one", "two"]
        assert [r.slug for r in by_ids.all(connection, ids=ids[1:], least=0)] == ["two"]
        assert by_ids.all(connection, ids=[], least=0) == []
        with pytest.raises(ValueError):
            by_ids.all(connection, ids=["1) OR (1=1"], least=0)


def test_lists_of_anything_but_integers_are_refused(engine):
    expanding = HotStatement(select(teams.c.id).where(teams.c.slug.in_(bindparam("slugs", expanding=True))))
    with transaction(engine) as connection, pytest.raises(ValueError, match="integers only"):
        expanding.all(connection, slugs=["one"])


def test_the_drivers_errors_come_as_sqlalchemys_as_everywhere_else_in_the_store(engine):
    rename = HotStatement(update(teams).where(teams.c.slug == bindparam("was")).values(slug=bindparam("now")))
    with pytest.raises(IntegrityError), transaction(engine) as connection:
        rename.run(connection, was="two", now="one")  # slugs are unique
