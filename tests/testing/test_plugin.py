"""The pytest plugin as an integrator's suite meets it: a pytest run of its own on a small test file.

- Isolation: a test that leaves messages (sent and scheduled), fans, a fault failing every send, a
  frozen clock moved 30 days on, a webhook of its own, webhook events in flight, engagement settings
  and a snapshot behind is followed by one that finds none of it.
- A failing test's report shows the server's log lines of that test, and not an earlier test's.
- Under `pytest -p xdist -n 2` each worker gets a server of its own.
- On the scale run (MASSDM_TEST_DATABASE), `--massdm-database-url` puts the server on PostgreSQL,
  in a schema of the run's own, dropped at the end.
"""

from __future__ import annotations

import re

import psycopg
import pytest

from tests.backends import TEST_DATABASE
from tests.testing.runs import run_pytest

PAIR = """
    from datetime import datetime, timedelta, timezone

    import httpx

    MARKER = "the-failing-tests-own-request"


    def test_leaves_everything_behind(massdm):
        massdm.seed(30, seed=5)
        massdm.client.mass_messaging.send(massdm.account, text="left behind", user_lists=["fans"])
        later = (datetime.now(timezone.utc) + timedelta(days=60)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        massdm.client.mass_messaging.send(massdm.account, text="due later", user_lists=["fans"], scheduled_date=later)
        massdm.engagement(seed=1, view_rate=1)
        massdm.client.webhooks.create(endpoint_url="http://127.0.0.1:9/elsewhere", events=["chat_queue.finished"],
                                      account_scope="global")
        massdm.trigger("messages.ppv.unlocked")
        assert massdm.webhook_inbox(1, event="messages.ppv.unlocked")
        massdm.fault(webhook=massdm.webhook.id, mode="timeout", probability=1)  # and its retries pending
        massdm.trigger("chat_queue.updated")
        massdm.snapshot("left")
        massdm.fault(path="/api/{account}/mass-messaging", method="POST", status=503, probability=1)
        massdm.freeze()
        assert massdm.advance(days=30)["frozen"] is True
        assert len(massdm.faults()) == 2


    def test_finds_none_of_it(massdm):
        clock = massdm.clock()
        moment = datetime.fromisoformat(clock["now"])
        assert clock["frozen"] is False and abs(moment - datetime.now(timezone.utc)) < timedelta(minutes=1)
        assert massdm.faults() == []
        assert massdm.webhook_inbox() == []
        assert list(massdm.client.mass_messaging.list(massdm.account).data) == []
        fans = massdm.http.get(f"/api/{massdm.account}/fans/all").json()["data"]
        assert fans["list"] == []
        webhooks = massdm.http.get("/api/webhooks").json()["data"]
        assert [w["id"] for w in webhooks] == [massdm.webhook.id]
        assert massdm.http.get(f"/sandbox/v1/accounts/{massdm.account}/engagement").json()["enabled"] is False
        assert massdm.http.get("/sandbox/v1/snapshots").json()["snapshots"] == []
        massdm.snapshot("left")  # the name is free again
        # and the send that was faulted goes through, to no fan
        massdm.seed(3, seed=9)
        sent = massdm.client.mass_messaging.send(massdm.account, text="fresh", user_lists=["fans"])
        assert [m.id for m in massdm.client.mass_messaging.list(massdm.account).data] == [sent.data.id]
        assert massdm.webhook_inbox(1, event="chat_queue.finished")[0].payload["id"] == sent.data.id


    def test_fails_and_shows_its_own_log(massdm):
        massdm.http.get(f"/api/{massdm.account}/fans/all", params={"note": MARKER})
        assert False, "failing on purpose"
"""


def test_a_test_leaves_nothing_behind_for_the_next_and_a_failure_shows_its_server_log(tmp_path):
    run = run_pytest(tmp_path, PAIR)
    assert "1 failed, 2 passed" in run.output, run.output
    assert "PASSED test_integrator.py::test_finds_none_of_it" in run.output

    report = run.section("test_fails_and_shows_its_own_log")
    assert "massdm server log (call)" in report
    assert "the-failing-tests-own-request" in report  # its request, as the server logged it
    assert "POST /sandbox/v1/reset" in report  # from its own setup on
    assert "/sandbox/v1/clock/advance" not in report  # the first test's lines are not its
    assert "POST /sandbox/v1/snapshots" not in report  # nor the second's
    assert run.output.count("massdm server log") == 1  # and no passing test got a section


XDIST = """
    import os
    from pathlib import Path

    import pytest


    @pytest.mark.parametrize("n", range(4))
    def test_each_worker_has_its_server(massdm, n):
        massdm.seed(5, seed=n)
        worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
        Path(f"{worker}-{n}.txt").write_text(massdm.base_url)
        assert massdm.http.get(f"/api/{massdm.account}/fans/all").json()["data"]["list"]
"""


def test_under_xdist_each_worker_gets_a_server_of_its_own(tmp_path):
    run = run_pytest(tmp_path, XDIST, "-p", "xdist", "-n", "2")
    assert "4 passed" in run.output, run.output
    servers = {}
    for found in tmp_path.glob("gw*-*.txt"):
        servers.setdefault(found.name.split("-")[0], set()).add(found.read_text())
    assert set(servers) == {"gw0", "gw1"}, run.output
    assert all(len(urls) == 1 for urls in servers.values())
    assert servers["gw0"] != servers["gw1"]


POSTGRES = """
    def test_runs_on_postgres(massdm):
        massdm.seed(10, seed=1)
        assert massdm.server.database_url.startswith("postgresql")
        print("SCHEMA", massdm.server.database_url.rsplit("search_path%3D", 1)[1])
"""


@pytest.mark.skipif(not TEST_DATABASE, reason="the scale run's PostgreSQL (MASSDM_TEST_DATABASE)")
def test_the_server_runs_on_postgres_in_a_schema_of_its_own_dropped_after(tmp_path):
    assert TEST_DATABASE is not None
    run = run_pytest(tmp_path, POSTGRES, "-s", "--massdm-database-url", TEST_DATABASE)
    assert "1 passed" in run.output, run.output
    schema = re.search(r"SCHEMA (\S+)", run.output)
    assert schema is not None
    with psycopg.connect(TEST_DATABASE.replace("+psycopg", "")) as connection:
        left = connection.execute("SELECT count(*) FROM information_schema.schemata WHERE schema_name = %s",
                                  (schema.group(1),)).fetchone()
    assert left == (0,)
