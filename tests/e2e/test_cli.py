"""The `massdm` command line, run as a real process against a real database file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import inspect, text

from massdm.app import create_app
from massdm.config import Settings
from massdm.store.db import create_store_engine, exists, sqlite_file
from tests.backends import database_url, redis_env, redis_settings


def massdm(directory: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    env = {**os.environ, "MASSDM_DATABASE_URL": database_url(directory, "cli"), "COLUMNS": "200",
           **redis_env()}
    result = subprocess.run(
        [sys.executable, "-m", "massdm", *args], cwd=directory, env=env, capture_output=True, text=True, timeout=120
    )
    if check:
        assert result.returncode == 0, result.stderr
    return result


@pytest.fixture
def cli_client(tmp_path):
    def make() -> TestClient:
        settings = Settings(
            database_url=database_url(tmp_path, "cli"), media_dir=tmp_path / "media", **redis_settings()
        )
        return TestClient(create_app(settings))

    return make


def test_accounts_and_keys(tmp_path, cli_client):
    a = json.loads(massdm(tmp_path, "accounts", "create", "--name", "Alice", "--json").stdout)
    b = json.loads(massdm(tmp_path, "accounts", "create", "--name", "Bob", "--json").stdout)
    assert a["id"].startswith("acct_") and len(a["id"]) == 37 and a["team"] == "default"
    key = json.loads(massdm(tmp_path, "keys", "create", "--account", a["id"], "--json").stdout)
    assert key["api_key"].startswith("massdm_") and key["accounts"] == [a["id"]]

    client = cli_client()
    headers = {"Authorization": f"Bearer {key['api_key']}"}
    assert client.get(f"/api/{a['id']}/fans/all", headers=headers).status_code == 200
    assert client.get(f"/api/{b['id']}/fans/all", headers=headers).status_code == 404
    assert [x["id"] for x in client.get("/api/accounts", headers=headers).json()] == [a["id"]]


def test_keys_create_with_plan_limits(tmp_path, cli_client):
    account = json.loads(massdm(tmp_path, "accounts", "create", "--name", "Alice", "--json").stdout)["id"]
    key = json.loads(
        massdm(tmp_path, "keys", "create", "--limit-minute", "7", "--no-daily-limit", "--json").stdout
    )["api_key"]
    limits = cli_client().get(f"/api/{account}/fans/all", headers={"Authorization": f"Bearer {key}"}).json()
    assert limits["_meta"]["_rate_limits"]["limit_minute"] == 7
    assert limits["_meta"]["_rate_limits"]["limit_day"] is None


def test_keys_create_refuses_an_unknown_account(tmp_path):
    massdm(tmp_path, "migrate")
    result = massdm(tmp_path, "keys", "create", "--account", "acct_" + "0" * 32, check=False)
    assert result.returncode == 1
    assert "does not exist" in result.stderr


@pytest.mark.parametrize("command", [
    ("keys", "create"), ("credits", "add", "10"), ("messages", "--account", "acct_" + "0" * 32),
    ("send", "--account", "acct_" + "0" * 32, "--list", "fans", "--text", "hi"),
    ("fans", "import", "--account", "acct_" + "0" * 32, "fans.csv"),
])
def test_a_command_on_a_missing_database_says_so_and_creates_none(tmp_path, command):
    (tmp_path / "fans.csv").write_text(CSV)
    result = massdm(tmp_path, *command, check=False)
    assert result.returncode == 1
    assert "no massdm database at" in result.stderr and "massdm serve" in result.stderr
    file = sqlite_file(database_url(tmp_path, "cli"))
    if file is not None:
        assert not file.exists()  # not even an empty one
    assert not exists(database_url(tmp_path, "cli"))
    massdm(tmp_path, "migrate")  # once there is one, the same command gets past the check
    again = massdm(tmp_path, *command, check=False)
    assert "no massdm database" not in again.stderr


CSV = """id,username,name,subscribed_at,expires_at,auto_renew,following,muted,tagged,friend
1,alice,Alice,2026-01-01T00:00:00Z,,yes,no,no,no,no
2,bob,Bob,2026-01-02 10:00:00,2020-01-01T00:00:00Z,0,1,0,1,0
3,carol,,2026-01-03T00:00:00+02:00,2999-01-01T00:00:00Z,true,false,true,false,true
"""


def test_fans_import_is_idempotent_and_shows_progress(tmp_path, cli_client):
    account = json.loads(massdm(tmp_path, "accounts", "create", "--name", "Alice", "--json").stdout)["id"]
    key = json.loads(massdm(tmp_path, "keys", "create", "--json").stdout)["api_key"]
    (tmp_path / "fans.csv").write_text(CSV)

    first = massdm(tmp_path, "fans", "import", "--account", account, "fans.csv")
    assert "importing fans" in first.stderr
    assert "3 rows: 3 new fans, 0 updated" in first.stderr
    second = massdm(tmp_path, "fans", "import", "--account", account, "fans.csv")
    assert "3 rows: 0 new fans, 3 updated" in second.stderr

    client = cli_client()
    headers = {"Authorization": f"Bearer {key}"}
    users = client.get(f"/api/{account}/fans/all?limit=50", headers=headers).json()["data"]["list"]
    assert sorted(u["username"] for u in users) == ["alice", "bob", "carol"]
    by_name = {u["username"]: u for u in users}
    assert by_name["carol"]["name"] == "carol"  # empty name falls back to the username
    assert by_name["carol"]["subscribedOnData"]["subscribeAt"] == "2026-01-02T22:00:00+00:00"
    assert by_name["bob"]["subscribedOn"] is False and by_name["bob"]["isTagged"] is True
    expired = client.get(f"/api/{account}/fans/expired", headers=headers).json()["data"]["list"]
    assert [u["username"] for u in expired] == ["bob"]


def test_fans_import_takes_spend_and_online_for_targeting(tmp_path, cli_client):
    account = json.loads(massdm(tmp_path, "accounts", "create", "--name", "Alice", "--json").stdout)["id"]
    key = json.loads(massdm(tmp_path, "keys", "create", "--json").stdout)["api_key"]
    (tmp_path / "fans.csv").write_text("id,username,subscribed_at,tips,subscriptions,online\n"
                                       "1,alice,2026-01-01T00:00:00Z,120.50,30,yes\n"
                                       "2,bob,2026-01-02T00:00:00Z,0,9.99,no\n")
    massdm(tmp_path, "fans", "import", "--account", account, "fans.csv")
    (tmp_path / "tips.csv").write_text("id,username,subscribed_at,tips\n2,bob,2026-01-02T00:00:00Z,200\n")
    massdm(tmp_path, "fans", "import", "--account", account, "tips.csv")

    client, headers = cli_client(), {"Authorization": f"Bearer {key}"}

    def listed(query: str) -> list[tuple]:
        users = client.get(f"/api/{account}/fans/all?{query}", headers=headers).json()["data"]["list"]
        return [(u["username"], u["subscribedOnData"]["tipsSumm"], u["subscribedOnData"]["totalSumm"]) for u in users]

    assert listed("filter[tips]=100") == [("bob", 200, 209.99), ("alice", 120.5, 150.5)]
    assert listed("filter[online]=1") == [("alice", 120.5, 150.5)]
    assert listed("filter[total_spent]=151") == [("bob", 200, 209.99)]


def test_a_bad_row_imports_nothing_and_names_its_line(tmp_path, cli_client):
    account = json.loads(massdm(tmp_path, "accounts", "create", "--name", "Alice", "--json").stdout)["id"]
    key = json.loads(massdm(tmp_path, "keys", "create", "--json").stdout)["api_key"]
    (tmp_path / "bad.csv").write_text(
        CSV + "4,dave,Dave,not-a-date,,yes,no,no,no,no\nx,eve,Eve,2026-01-01,,1,0,0,0,0\n"
    )
    result = massdm(tmp_path, "fans", "import", "--account", account, "bad.csv", check=False)
    assert result.returncode == 1
    assert "line 5" in result.stderr and "subscribed_at" in result.stderr
    assert "line 6" in result.stderr
    users = cli_client().get(f"/api/{account}/fans/all", headers={"Authorization": f"Bearer {key}"}).json()
    assert users["data"]["list"] == []


def test_import_needs_the_required_columns(tmp_path):
    account = json.loads(massdm(tmp_path, "accounts", "create", "--name", "Alice", "--json").stdout)["id"]
    (tmp_path / "cols.csv").write_text("username,name\nalice,Alice\n")
    result = massdm(tmp_path, "fans", "import", "--account", account, "cols.csv", check=False)
    assert result.returncode == 1 and "missing required column(s): id" in result.stderr


def test_demo_creates_then_reuses_its_world(tmp_path, cli_client):
    first = json.loads(massdm(tmp_path, "demo", "--fans", "120", "--json").stdout)
    assert set(first) == {"account", "api_key", "base_url", "console_url"}
    assert first["base_url"] == "http://127.0.0.1:8000"
    assert first["console_url"] == "http://127.0.0.1:8000/console"
    second = json.loads(massdm(tmp_path, "demo", "--fans", "120", "--json").stdout)
    assert second["account"] == first["account"]

    client = cli_client()
    for key in (first["api_key"], second["api_key"]):  # both keys keep working
        headers = {"Authorization": f"Bearer {key}"}
        everyone = client.get(f"/api/{first['account']}/user-lists?limit=50", headers=headers).json()["data"]
        counts = {x["name"]: x["usersCount"] for x in everyone}
        assert counts["VIP"] == 12 and counts["Big spenders"] == 5  # not doubled by the second run
        assert 0 < counts["Fans"] < 120  # some demo fans have expired
        assert counts["Renew Off"] > 0 and counts["Following"] > 0


def test_demo_with_a_chosen_key_reuses_it(tmp_path):
    chosen = "massdm_" + "k" * 43
    first = json.loads(massdm(tmp_path, "demo", "--fans", "5", "--api-key", chosen, "--json").stdout)
    second = json.loads(massdm(tmp_path, "demo", "--fans", "5", "--api-key", chosen, "--json").stdout)
    assert first["api_key"] == second["api_key"] == chosen


def test_credits_add_tops_up_a_team(tmp_path, cli_client):
    massdm(tmp_path, "demo", "--fans", "1", "--json")
    assert "balance: 1000010" in massdm(tmp_path, "credits", "add", "10", "--team", "demo").stdout


def test_migrate_command(tmp_path):
    assert "up to date" in massdm(tmp_path, "migrate").stderr
    engine = create_store_engine(database_url(tmp_path, "cli"))
    assert "alembic_version" in inspect(engine).get_table_names()
    with engine.connect() as connection:  # at the newest migration
        assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar() == _newest_migration()


def _newest_migration() -> str:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from massdm.store.db import MIGRATIONS_DIR

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return ScriptDirectory.from_config(config).get_current_head()
