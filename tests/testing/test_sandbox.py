"""`massdm.testing.sandbox()`, the handle without pytest's fixtures (scripts, other runners), and what a
reset takes away: a test's data, a fault, a frozen clock and another webhook. What it costs is measured
in bench/run.py (`sandbox_reset_small`), not here."""

from __future__ import annotations

from massdm.testing import sandbox


def test_the_handle_without_pytest_resets_a_used_team():
    with sandbox() as sb:
        assert sb.http.get("/readyz").status_code == 200
        for n in range(3):
            sb.seed(50, seed=n)
            sent = sb.client.mass_messaging.send(sb.account, text=f"round {n}", user_lists=["fans"])
            sb.fault("/api/{account}/fans/all", status=503, times=5)
            sb.client.webhooks.create(endpoint_url="http://127.0.0.1:9/other", events=["chat_queue.finished"],
                                      account_scope="global")
            sb.freeze()
            sb.advance(minutes=1)
            assert sb.recipients(sent.data.id)["counts"]["delivered"] > 0
            sb.reset()
            assert (sb.faults(), sb.clock()["frozen"]) == ([], False)
            assert [w["id"] for w in sb.http.get("/api/webhooks").json()["data"]] == [sb.webhook.id]
            assert sb.http.get(f"/api/{sb.account}/mass-messaging").json()["data"] == []
    assert not sb.server.running
