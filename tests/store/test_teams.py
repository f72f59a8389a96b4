"""Credit balances stay exact when charges and top-ups (`massdm credits add`) land at once.

On PostgreSQL (READ COMMITTED) transactions really overlap: a top-up that read the balance and then
wrote "read + n" would overwrite a charge committed between its read and its write. Every change
of a balance is therefore one UPDATE computed from the row as it is written.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time

import pytest
from sqlalchemy import text

from massdm.clock import ManualClock
from massdm.store import teams as team_store
from massdm.store.db import create_store_engine, migrate, transaction
from tests.backends import ON_POSTGRES, database_url, redis_env
from tests.conftest import World


@pytest.fixture
def engine(tmp_path):
    engine = create_store_engine(database_url(tmp_path))
    migrate(engine)
    return engine


def _balance(engine, team_id: int) -> int:
    with transaction(engine) as connection:
        return team_store.get_balance(connection, team_id)


def _wait_until_blocked(engine, started: subprocess.Popen) -> None:
    """Until the CLI's UPDATE of the team waits for the charge's row lock (PostgreSQL); on SQLite the
    CLI's transaction simply waits for the write lock, so a moment is enough."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert started.poll() is None, started.communicate()
        if not ON_POSTGRES:
            time.sleep(1.0)
            return
        with engine.connect() as probe:
            waiting = probe.execute(text(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query ILIKE 'UPDATE teams%'"
            )).scalar_one()
        if waiting:
            return
        time.sleep(0.05)
    raise AssertionError("massdm credits add never reached the team's row")


def test_credits_add_keeps_a_charge_committed_while_it_waited(tmp_path, engine):
    """A charge holds the team row; `massdm credits add` comes in, waits, and must add to what the
    charge left, not to what it saw before the charge committed."""
    team = World(engine, ManualClock()).team(credits=1000)
    env = {**os.environ, "MASSDM_DATABASE_URL": database_url(tmp_path), **redis_env()}
    with transaction(engine) as charging:
        assert team_store.take_credits(charging, team.id, 10) == 990  # not committed yet
        cli = subprocess.Popen([sys.executable, "-m", "massdm", "credits", "add", "500", "--team", team.slug],
                               cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        _wait_until_blocked(engine, cli)
    out, err = cli.communicate(timeout=120)
    assert cli.returncode == 0, err
    assert f"team {team.slug} balance: 1490" in out
    assert _balance(engine, team.id) == 1490


def test_concurrent_charges_and_top_ups_leave_the_exact_balance(engine):
    team = World(engine, ManualClock()).team(credits=1000)
    failures: list[BaseException] = []

    def run(work, times: int) -> None:
        try:
            for _ in range(times):
                with transaction(engine) as connection:
                    work(connection)
        except BaseException as error:  # noqa: BLE001 - reported below
            failures.append(error)

    charges = [threading.Thread(target=run, args=(lambda c: team_store.take_credits(c, team.id, 1), 50))
               for _ in range(4)]
    top_ups = [threading.Thread(target=run, args=(lambda c: team_store.add_credits(c, team.slug, 7), 20))
               for _ in range(2)]
    for thread in (*charges, *top_ups):
        thread.start()
    for thread in (*charges, *top_ups):
        thread.join()
    assert failures == []
    assert _balance(engine, team.id) == 1000 - 4 * 50 + 2 * 20 * 7


def test_taking_away_more_than_there_is_leaves_zero_and_an_unknown_team_is_none(engine):
    team = World(engine, ManualClock()).team(credits=5)
    with transaction(engine) as connection:
        assert team_store.add_credits(connection, team.slug, -8) == 0
        assert team_store.add_credits(connection, team.slug, 3) == 3
        assert team_store.add_credits(connection, "no-such-team", 3) is None
