"""The delivery worker on a real database: planning, chunks, leases, the sweeper, cancellation, schedules."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from massdm.api.state import state_of
from massdm.delivery.worker import DeliveryWorker, WorkerConfig
from massdm.store import deliveries as delivery_store
from massdm.store import delivery_chunks as chunk_store
from massdm.store import message_claims as claim_store
from massdm.store import messages as message_store
from massdm.store.db import transaction
from massdm.store.tables import delivery_chunks, mass_messages

LEASE = timedelta(seconds=30)


@pytest.fixture
def fans(client, caller, clock):
    now = clock.now()
    body = [{"id": i, "username": f"fan{i}", "subscribedAt": (now - timedelta(days=3)).isoformat()}
            for i in range(1, 26)]
    body += [{"id": 900 + i, "username": f"gone{i}", "expiresAt": (now - timedelta(days=1)).isoformat()}
             for i in range(1, 4)]
    assert client.post(f"/api/{caller.account}/fans", headers=caller.headers, json=body).status_code == 200
    return caller


def _send(client, caller, **body) -> int:
    response = client.post(f"/api/{caller.account}/mass-messaging", headers=caller.headers,
                           json={"text": "hello", "userLists": ["fans"], **body})
    assert response.status_code == 200, response.text
    return response.json()["data"]["id"]


def _queue_item(client, caller, message_id: int) -> dict:
    items = client.get(f"/api/{caller.account}/mass-messaging", headers=caller.headers).json()["data"]
    return next(i for i in items if i["id"] == message_id)


def _facts(app, message_id: int) -> tuple[dict, message_store.MassMessage]:
    with transaction(state_of(app).engine) as connection:
        return (delivery_store.facts_for_message(connection, message_id),
                message_store.get_message_by_id(connection, message_id))


def _worker(app, clock, name: str, chunk: int = 10) -> DeliveryWorker:
    return DeliveryWorker(state_of(app).engine, clock, WorkerConfig(chunk_size=chunk, lease=LEASE), name=name)


def test_delivers_in_chunks_and_counts_the_audience_first(client, fans, app, clock):
    message_id = _send(client, fans, userIds=["901"])  # an expired fan: skipped, counted as not delivered
    assert _queue_item(client, fans, message_id)["total"] == -1
    seen = []
    worker = _worker(app, clock, "a")
    worker.on_chunk = lambda _id, sent: seen.append(sent)
    assert worker.run_until_idle() == 1
    assert seen == [10, 20, 25]
    item = _queue_item(client, fans, message_id)
    assert (item["total"], item["pending"], item["isDone"], item["hasError"]) == (26, 0, True, False)
    facts, message = _facts(app, message_id)
    assert facts["sent"] == message.sent_count == 25 and message.skipped_count == 1
    assert message.claimed_by is None
    with transaction(state_of(app).engine) as connection:
        chunks = chunk_store.of_message(connection, message_id)
    # 25 eligible fans in ranges of 10: (0, 10], (10, 20], then the open range after 20
    assert [(c.after_fan_id, c.through_fan_id, c.delivered) for c in chunks] == [(0, 10, 10), (10, 20, 10),
                                                                                (20, None, 5)]
    assert all(c.done_at is not None and c.claimed_by == "a" and c.attempts == 1 for c in chunks)


def test_a_worker_that_dies_holding_a_chunk_loses_it_when_its_lease_runs_out(client, fans, app, clock):
    message_id = _send(client, fans)
    dying = _worker(app, clock, "dies")
    dying.run_once()  # plans the message into three chunks
    with transaction(state_of(app).engine) as connection:  # claims the first chunk, then the process dies
        held = chunk_store.claim_next(connection, "dies", clock.now(), LEASE)
    assert (held.message_id, held.seq) == (message_id, 0)

    successor = _worker(app, clock, "next")
    assert successor.run_until_idle() == 1  # the other two chunks
    facts, message = _facts(app, message_id)
    assert facts["sent"] == message.sent_count == 15  # fans 11..25; the dead worker's lease still holds 1..10
    item = _queue_item(client, fans, message_id)
    assert (item["total"], item["pending"], item["isDone"]) == (25, 10, False)

    clock.advance(LEASE + timedelta(seconds=1))
    assert successor.run_until_idle() == 1  # the sweeper frees the chunk, the successor delivers it
    facts, message = _facts(app, message_id)
    assert facts["sent"] == message.sent_count == 25
    assert _queue_item(client, fans, message_id)["isDone"] is True
    with transaction(state_of(app).engine) as connection:
        first = chunk_store.of_message(connection, message_id)[0]
    assert (first.claimed_by, first.attempts, first.delivered) == ("next", 2, 10)


def test_a_chunk_whose_lease_was_taken_over_is_rolled_back(client, fans, app, clock):
    message_id = _send(client, fans)
    slow = _worker(app, clock, "slow")
    slow.run_once()
    with transaction(state_of(app).engine) as connection:
        held = chunk_store.claim_next(connection, "slow", clock.now(), LEASE)
    clock.advance(LEASE + timedelta(seconds=1))
    fast = _worker(app, clock, "fast")
    assert fast.run_until_idle() == 1  # takes the expired chunk over and finishes the message
    slow._deliver_chunk(held)  # the stalled worker wakes up: its chunk is no longer its own
    facts, message = _facts(app, message_id)
    assert facts["sent"] == message.sent_count == 25


def test_a_repeated_chunk_never_delivers_twice(client, fans, app, clock):
    message_id = _send(client, fans)
    worker = _worker(app, clock, "a", chunk=100)
    worker.run_until_idle()
    with transaction(state_of(app).engine) as connection:  # as if the "done" marks had been lost
        connection.execute(delivery_chunks.update().where(delivery_chunks.c.message_id == message_id)
                           .values(done_at=None, claimed_by=None, delivered=None))
        connection.execute(mass_messages.update().where(mass_messages.c.id == message_id).values(finished_at=None))
    worker.run_until_idle()
    facts, message = _facts(app, message_id)
    assert facts["sent"] == message.sent_count == 25


def test_two_workers_never_hold_the_same_chunk(client, fans, app, clock):
    message_id = _send(client, fans)
    first, second = _worker(app, clock, "first"), _worker(app, clock, "second")
    with transaction(state_of(app).engine) as connection:
        assert claim_store.claim(connection, message_id, first.name, clock.now(), LEASE) is not None
        assert claim_store.claim(connection, message_id, second.name, clock.now(), LEASE) is None
    assert second.run_until_idle() == 0  # the message is being planned by `first`
    first._plan(_facts(app, message_id)[1])
    with transaction(state_of(app).engine) as connection:
        held = [chunk_store.claim_next(connection, name, clock.now(), LEASE) for name in ("first", "second", "x")]
        assert chunk_store.claim_next(connection, "y", clock.now(), LEASE) is None
    assert sorted(c.seq for c in held) == [0, 1, 2]
    assert _facts(app, message_id)[0]["sent"] == 0


def test_canceling_mid_delivery_stops_at_the_next_chunk(client, fans, app, clock):
    message_id = _send(client, fans)
    worker = _worker(app, clock, "a")

    def cancel_after_first(_id: int, sent: int) -> None:
        if sent == 10:
            response = client.delete(f"/api/{fans.account}/mass-messaging/{message_id}", headers=fans.headers)
            assert response.json()["data"]["queue"]["isCanceled"] is True

    worker.on_chunk = cancel_after_first
    worker.run_until_idle()
    facts, message = _facts(app, message_id)
    assert facts["sent"] == message.sent_count == 10  # the chunk after the cancel was never written
    assert message.canceled_at is not None
    item = _queue_item(client, fans, message_id)
    assert (item["isCanceled"], item["pending"], item["canUnsend"]) == (True, 0, False)


def test_scheduled_messages_wait_for_their_time(client, fans, app, clock):
    when = clock.now() + timedelta(hours=2)
    message_id = _send(client, fans, scheduledDate=when.isoformat())
    worker = _worker(app, clock, "a")
    assert worker.run_until_idle() == 0
    item = _queue_item(client, fans, message_id)
    assert item["status"] == "scheduled" and item["date"].startswith(when.strftime("%Y-%m-%dT%H:%M"))
    clock.advance(timedelta(hours=2))
    assert worker.run_until_idle() == 1
    assert _facts(app, message_id)[0]["sent"] == 25


def test_a_time_that_passed_while_nothing_ran_goes_out_on_start(client, fans, app, clock):
    message_id = _send(client, fans, scheduledDate=(clock.now() + timedelta(minutes=5)).isoformat())
    clock.advance(timedelta(days=3))  # the server was down
    restarted = _worker(app, clock, "after-restart")
    assert restarted.run_until_idle() == 1
    assert _queue_item(client, fans, message_id)["isDone"] is True


def test_an_audience_empty_at_send_time_ends_in_an_error(client, fans, app, clock):
    message_id = _send(client, fans, userLists=["recent"], scheduledDate=(clock.now() + timedelta(hours=1)).isoformat())
    clock.advance(timedelta(days=2))
    _worker(app, clock, "a").run_until_idle()
    item = _queue_item(client, fans, message_id)
    assert (item["hasError"], item["status"], item["isDone"]) == (True, "failed", True)
    assert "empty" in item["error"]
    detail = client.get(f"/api/{fans.account}/mass-messaging/{message_id}", headers=fans.headers).json()
    assert detail["data"]["queue"]["hasError"] is True and "empty" in detail["data"]["queue"]["error"]


def test_membership_changes_during_delivery_keep_the_counters_true(client, fans, app, clock):
    vip = client.post(f"/api/{fans.account}/user-lists", headers=fans.headers, json={"name": "VIP"}).json()["data"]
    client.post(f"/api/{fans.account}/user-lists/{vip['id']}/users", headers=fans.headers,
                json={"ids": list(range(1, 21))})
    message_id = _send(client, fans, userLists=[str(vip["id"])])
    worker = _worker(app, clock, "a")

    def shrink(_id: int, sent: int) -> None:
        if sent == 10:  # two fans past the cursor leave the list
            for fan in (15, 16):
                client.delete(f"/api/{fans.account}/user-lists/{vip['id']}/users/{fan}", headers=fans.headers)

    worker.on_chunk = shrink
    worker.run_until_idle()
    facts, message = _facts(app, message_id)
    assert facts["sent"] == message.sent_count == 18
    item = _queue_item(client, fans, message_id)
    assert (item["total"], item["pending"], item["isDone"]) == (18, 0, True)


def test_a_stopping_worker_hands_its_message_back(client, fans, app, clock):
    message_id = _send(client, fans)
    worker = _worker(app, clock, "stopping", chunk=5)
    stop = threading.Event()
    worker.on_chunk = lambda _id, sent: stop.set() if sent == 5 else None
    thread = threading.Thread(target=worker.run, args=(stop,))
    thread.start()
    thread.join(timeout=10)
    assert not thread.is_alive()
    facts, message = _facts(app, message_id)
    assert facts["sent"] == 5 and message.finished_at is None  # stopped after the chunk in hand
    assert _worker(app, clock, "b").run_until_idle() == 1  # the rest picked up at once, no lease to wait out
    assert _facts(app, message_id)[0]["sent"] == 25


def test_a_message_waits_while_its_media_is_not_ready(client, fans, app, clock):
    from massdm.store import media as media_store
    from tests import media_files

    upload = client.post(f"/api/{fans.account}/media/upload", headers=fans.headers,
                         files={"file": ("a.png", media_files.png(40, 40))}).json()
    with transaction(state_of(app).engine) as connection:  # as if it were still being processed
        media_store.set_ready(connection, upload["vault_id"], False)
    message_id = _send(client, fans, mediaFiles=[upload["prefixed_id"]])
    worker = _worker(app, clock, "a")
    assert worker.run_until_idle() == 0
    assert _queue_item(client, fans, message_id)["isReady"] is False
    with transaction(state_of(app).engine) as connection:
        media_store.set_ready(connection, upload["vault_id"], True)
    assert worker.run_until_idle() == 1
    item = _queue_item(client, fans, message_id)
    assert (item["isReady"], item["isDone"], item["total"]) == (True, True, 25)


def test_an_edit_while_a_worker_counts_the_audience_makes_it_count_again(client, fans, app, clock):
    message_id = _send(client, fans, userIds=["1", "2"], userLists=[])
    worker = _worker(app, clock, "a")
    with transaction(state_of(app).engine) as connection:  # the worker has claimed it and is counting
        claimed = claim_store.claim(connection, message_id, "a", clock.now(), LEASE)
    edited = client.put(f"/api/{fans.account}/mass-messaging/{message_id}", headers=fans.headers,
                        json={"text": "changed", "userLists": ["fans"]})
    assert edited.status_code == 200, edited.text
    worker._plan(claimed)  # its count was of the old audience: refused
    assert _facts(app, message_id)[1].total == -1
    assert worker.run_until_idle() == 1  # counted again, with the edit
    facts, message = _facts(app, message_id)
    assert facts["sent"] == message.sent_count == message.total == 25


def test_many_workers_at_once_send_a_scheduled_message_and_a_saved_one_once(client, fans, app, clock):
    when = clock.now() + timedelta(hours=1)
    scheduled = _send(client, fans, scheduledDate=when.isoformat())
    saved = [_send(client, fans, text=f"saved {n}", saveForLater=True) for n in range(3)]
    enabled = client.patch(
        f"/api/{fans.account}/saved-for-later/messages/settings/enable-or-update-automatic-messaging",
        headers=fans.headers, json={"period": 12})
    assert enabled.status_code == 200, enabled.text
    clock.advance(timedelta(hours=13))  # the schedule has passed and one automatic period has come round

    workers = [_worker(app, clock, f"w{n}", chunk=3) for n in range(6)]
    start = threading.Barrier(len(workers))

    def work(worker: DeliveryWorker) -> None:
        start.wait()
        worker.run_until_idle()

    threads = [threading.Thread(target=work, args=(w,)) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    facts, message = _facts(app, scheduled)
    assert facts["sent"] == message.sent_count == 25 and message.finished_at is not None
    released = [m for m in saved if _facts(app, m)[1].sent_at is not None]
    assert released == [saved[0]]  # one period, one message: the oldest
    assert _facts(app, saved[0])[0]["sent"] == 25
    with transaction(state_of(app).engine) as connection:
        chunks = chunk_store.of_message(connection, scheduled)
    assert sum(c.delivered for c in chunks) == 25 and all(c.attempts == 1 for c in chunks)  # each claimed once
