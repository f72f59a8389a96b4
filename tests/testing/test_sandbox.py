"""`massdm.testing.sandbox()`, the handle without pytest's fixtures (scripts, other runners), and what a
reset costs: a test's data, a fault, a frozen clock and another webhook gone, well under 100 ms."""

from __future__ import annotations

import statistics
import time

from massdm.testing import sandbox


def test_the_handle_without_pytest_resets_a_used_team_in_well_under_100_ms():
    with sandbox() as sb:
        assert sb.http.get("/readyz").status_code == 200
        took = []
        for n in range(8):
            sb.seed(50, seed=n)
            sent = sb.client.mass_messaging.send(sb.account, text=f"round {n}", user_lists=["fans"])
            sb.fault("/api/{account}/fans/all", status=503, times=5)
            sb.client.webhooks.create(endpoint_url="http://127.0.0.1:9/other", events=["chat_queue.finished"],
                                      account_scope="global")
            sb.freeze()
            sb.advance(minutes=1)
            assert sb.recipients(sent.data.id)["counts"]["delivered"] > 0
            started = time.perf_counter()
            sb.reset()
            took.append(time.perf_counter() - started)
            assert (sb.faults(), sb.clock()["frozen"]) == ([], False)
            assert [w["id"] for w in sb.http.get("/api/webhooks").json()["data"]] == [sb.webhook.id]
        print(f"reset: median {statistics.median(took) * 1000:.0f} ms, max {max(took) * 1000:.0f} ms")
        assert statistics.median(took) < 0.1
    assert not sb.server.running
