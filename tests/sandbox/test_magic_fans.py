"""Magic fans: in sandbox mode a fan whose username starts with magic_blocked, magic_deleted or
magic_restricted fails its delivery with that reason, inside an ordinary fan-out that finishes; the
failures are counted once, explained on the queue item and announced by messages.delivery_failed.
Outside sandbox mode the same fans are delivered like any other."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from massdm.api.state import state_of
from massdm.app import create_app
from massdm.clock import ManualClock
from massdm.config import Settings
from massdm.delivery.worker import DeliveryWorker, WorkerConfig, worker_config
from massdm.domain.magic_fans import kind_of
from massdm.store import delivery_chunks as chunk_store
from massdm.store import delivery_failures as failure_store
from massdm.store import messages as message_store
from massdm.store.db import transaction
from massdm.store.tables import deliveries, delivery_chunks, delivery_failures, fans, mass_messages

LEASE = timedelta(seconds=30)
MAGIC = {101: "magic_blocked_1", 102: "magic_deleted_anna", 103: "magic_restricted"}
ERROR = "3 fans could not receive it: 1 blocked the creator, 1 deleted their account, 1 restricted."


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"delivery_chunk_size": 3, "webhooks_allow_private": True})


def add_fans(client, caller, clock, usernames: dict[int, str], **extra) -> None:
    since = (clock.now() - timedelta(days=3)).isoformat()
    body = [{"id": i, "username": name, "subscribedAt": since, **extra} for i, name in usernames.items()]
    response = client.post(f"/api/{caller.account}/fans", headers=caller.headers, json=body)
    assert response.status_code == 200, response.text


def seeded(client, caller, clock) -> None:
    """Seven ordinary fans (1-7), the three magic ones (101-103) and an expired fan (900)."""
    add_fans(client, caller, clock, {i: f"fan{i}" for i in range(1, 8)} | MAGIC)
    expired = (clock.now() - timedelta(days=1)).isoformat()
    add_fans(client, caller, clock, {900: "magic_blocked_gone"}, expiresAt=expired)


def send(client, caller, **body) -> int:
    response = client.post(f"/api/{caller.account}/mass-messaging", headers=caller.headers,
                           json={"text": "hello", "userLists": ["fans"], **body})
    assert response.status_code == 200, response.text
    return response.json()["data"]["id"]


def advance(client, caller, seconds: float = 0) -> dict:
    response = client.post("/sandbox/v1/clock/advance", headers=caller.headers, json={"seconds": seconds})
    assert response.status_code == 200, response.text
    return response.json()


def queue(client, caller, message_id: int) -> tuple[dict, dict]:
    """(the queue item as the queue lists it, the `queue` object of GET mass-messaging/{id})."""
    listed = client.get(f"/api/{caller.account}/mass-messaging", headers=caller.headers).json()["data"]
    detail = client.get(f"/api/{caller.account}/mass-messaging/{message_id}", headers=caller.headers).json()
    return next(item for item in listed if item["id"] == message_id), detail["data"]["queue"]


def failures(app, message_id: int) -> list[tuple[int, str]]:
    with transaction(state_of(app).engine) as connection:
        return [tuple(row) for row in connection.execute(
            select(delivery_failures.c.fan_id, delivery_failures.c.reason)
            .where(delivery_failures.c.message_id == message_id).order_by(delivery_failures.c.fan_id))]


def stored(app, message_id: int) -> message_store.MassMessage:
    with transaction(state_of(app).engine) as connection:
        message = message_store.get_message_by_id(connection, message_id)
    assert message is not None
    return message


def delivered_ids(app, message_id: int) -> list[int]:
    with transaction(state_of(app).engine) as connection:
        return list(connection.execute(select(deliveries.c.fan_id).where(deliveries.c.message_id == message_id)
                                       .order_by(deliveries.c.fan_id)).scalars())


def test_a_message_with_magic_fans_finishes_with_the_failures_counted_and_explained(client, caller, app, clock,
                                                                                   receiver):
    seeded(client, caller, clock)
    hook = client.post("/api/webhooks", headers=caller.headers, json={
        "endpoint_url": receiver.url, "events": ["messages.delivery_failed", "chat_queue.finished"],
        "account_scope": "global"})
    assert hook.status_code == 201, hook.text
    message_id = send(client, caller, userIds=[900])  # the expired fan: skipped, not failed (never attempted)

    ran = advance(client, caller)["ran"]
    assert ran["sent"] == 1 and ran["delivered"] == 7
    item, detail = queue(client, caller, message_id)
    assert item == {**item, "isDone": True, "total": 11, "pending": 0, "hasError": True, "status": "sent",
                    "isCanceled": False, "error": ERROR}
    assert (detail["sentCount"], detail["total"], detail["pending"], detail["isDone"]) == (7, 11, 0, True)
    assert (detail["hasError"], detail["status"], detail["error"]) == (True, "sent", ERROR)
    assert detail["canUnsend"] is True  # everything else is as usual
    assert failures(app, message_id) == [(101, "blocked"), (102, "deleted"), (103, "restricted")]
    assert delivered_ids(app, message_id) == list(range(1, 8))
    message = stored(app, message_id)
    assert (message.sent_count, message.failed_count, message.skipped_count, message.error) == (7, 3, 1, None)

    events = receiver.wait_for(lambda got: len(got) >= 2)
    assert sorted(e.event for e in events) == ["chat_queue.finished", "messages.delivery_failed"]
    failed = next(e for e in events if e.event == "messages.delivery_failed")
    assert failed.account_id == caller.account
    assert failed.payload == {
        "messageId": message_id, "queueId": message_id, "failedCount": 3,
        "reasons": {"blocked": 1, "deleted": 1, "restricted": 1}, "error": ERROR,
        "recipients": f"/sandbox/v1/messages/{message_id}/recipients?status=failed", "queue": item,
    }
    finished = next(e for e in events if e.event == "chat_queue.finished")
    assert finished.payload == item


def test_the_failure_event_is_subscribable_and_listed(client, caller, receiver):
    listed = client.get("/api/webhooks/events", headers=caller.headers).json()["data"]
    assert "messages.delivery_failed" in [e["value"] for e in listed]
    response = client.post("/api/webhooks", headers=caller.headers, json={
        "endpoint_url": receiver.url, "events": ["messages.delivery_failed"], "account_scope": "global"})
    assert response.status_code == 201 and response.json()["data"]["events"] == ["messages.delivery_failed"]


def test_a_message_without_magic_fans_says_nothing_of_failures(client, caller, app, clock, receiver):
    add_fans(client, caller, clock, {1: "fan1", 2: "not_magic_blocked"})
    client.post("/api/webhooks", headers=caller.headers, json={
        "endpoint_url": receiver.url, "events": ["messages.delivery_failed"], "account_scope": "global"})
    message_id = send(client, caller)
    advance(client, caller)
    item, _ = queue(client, caller, message_id)
    assert (item["hasError"], item["error"], item["total"], item["isDone"]) == (False, None, 2, True)
    assert receiver.received == []  # the advance sent every webhook delivery due: there was none


def test_a_message_only_magic_fans_are_in_finishes_with_nobody_reached(client, caller, app, clock):
    add_fans(client, caller, clock, MAGIC)
    message_id = send(client, caller)
    advance(client, caller)
    item, detail = queue(client, caller, message_id)
    assert (item["isDone"], item["total"], item["pending"], item["status"], detail["sentCount"]) == (
        True, 3, 0, "sent", 0)
    assert item["error"] == ERROR


def test_outside_sandbox_mode_a_magic_fan_is_delivered_normally(settings, caller):
    plain = settings.model_copy(update={"sandbox": False})
    assert worker_config(plain).sandbox is False and WorkerConfig().sandbox is False
    app = create_app(plain)
    with TestClient(app) as client:
        clock = state_of(app).clock
        add_fans(client, caller, clock, {1: "fan1"} | MAGIC)
        message_id = send(client, caller)
        DeliveryWorker(state_of(app).engine, clock, worker_config(plain)).run_until_idle()
        item, detail = queue(client, caller, message_id)
        assert (item["hasError"], item["error"], item["status"], item["total"]) == (False, None, "sent", 4)
        assert detail["sentCount"] == 4
        assert delivered_ids(app, message_id) == [1, 101, 102, 103]
        assert failures(app, message_id) == [] and stored(app, message_id).failed_count == 0


def _sandbox_worker(app, clock, name: str) -> DeliveryWorker:
    """A worker in sandbox mode on a clock of the test's own (`clock`), so leases run out when it says."""
    return DeliveryWorker(state_of(app).engine, clock, WorkerConfig(chunk_size=3, lease=LEASE, sandbox=True),
                          name=name)


def test_a_chunk_that_crashes_after_writing_its_failures_is_redone_and_counts_each_once(client, caller, app, clock,
                                                                                         monkeypatch):
    """The chunk's transaction dies after its failures were written (a crash before the commit): nothing of
    it survives; the next worker redoes the chunk once its lease runs out, and each failure counts once."""
    add_fans(client, caller, clock, {1: "fan1", 2: "fan2"} | MAGIC)  # chunks (0, 101], (101, None]
    message_id = send(client, caller)
    time = ManualClock(clock.now())
    dying = _sandbox_worker(app, time, "dies")
    dying.run_once()  # plans
    real_add_failed = failure_store.add_failed

    def crash(*args, **kwargs):
        raise RuntimeError("killed mid-chunk")

    monkeypatch.setattr(failure_store, "add_failed", crash)
    with pytest.raises(RuntimeError):
        dying.run_once()  # the first chunk: fans 1, 2, 101; the failure of 101 is written, then the crash
    monkeypatch.setattr(failure_store, "add_failed", real_add_failed)
    assert failures(app, message_id) == [] and delivered_ids(app, message_id) == []
    assert stored(app, message_id).failed_count == 0

    time.advance(LEASE + timedelta(seconds=1))  # the lease runs out: the sweeper frees the chunk
    assert _sandbox_worker(app, time, "next").run_until_idle() == 1
    assert failures(app, message_id) == [(101, "blocked"), (102, "deleted"), (103, "restricted")]
    message = stored(app, message_id)
    assert (message.sent_count, message.failed_count, message.total, message.finished_at is not None) == (
        2, 3, 5, True)
    with transaction(state_of(app).engine) as connection:
        first = chunk_store.of_message(connection, message_id)[0]
    assert first.attempts == 2 and first.delivered == 2


def test_a_chunk_done_again_writes_no_failure_twice(client, caller, app, clock):
    add_fans(client, caller, clock, {1: "fan1", 2: "fan2"} | MAGIC)
    message_id = send(client, caller)
    advance(client, caller)
    with transaction(state_of(app).engine) as connection:  # as if the "done" marks had been lost
        connection.execute(delivery_chunks.update().where(delivery_chunks.c.message_id == message_id)
                           .values(done_at=None, claimed_by=None, delivered=None))
        connection.execute(mass_messages.update().where(mass_messages.c.id == message_id).values(finished_at=None))
    _sandbox_worker(app, clock, "again").run_until_idle()
    with transaction(state_of(app).engine) as connection:
        rows = connection.execute(select(func.count()).select_from(delivery_failures)
                                  .where(delivery_failures.c.message_id == message_id)).scalar_one()
    message = stored(app, message_id)
    assert rows == message.failed_count == 3 and message.sent_count == 2 and message.total == 5


def test_a_stalled_worker_whose_chunk_was_taken_over_writes_no_failure(client, caller, app, clock):
    add_fans(client, caller, clock, {1: "fan1", 2: "fan2"} | MAGIC)
    message_id = send(client, caller)
    time = ManualClock(clock.now())
    slow = _sandbox_worker(app, time, "slow")
    slow.run_once()
    with transaction(state_of(app).engine) as connection:
        held = chunk_store.claim_next(connection, "slow", time.now(), LEASE)
    time.advance(LEASE + timedelta(seconds=1))
    assert _sandbox_worker(app, time, "fast").run_until_idle() == 1  # takes the chunk over and finishes
    slow._deliver_chunk(held)  # the stalled worker wakes up: its chunk is no longer its own, rolled back
    assert len(failures(app, message_id)) == stored(app, message_id).failed_count == 3


def test_which_usernames_are_magic_is_judged_alike_in_sql_and_in_python(client, caller, app, clock):
    names = ["magic_blocked", "magic_blocked_1", "MAGIC_BLOCKED_1", "Magic_deleted", "magicXblocked", "magic%blocked",
             "xmagic_blocked", "magic_deletedfoo", "magic_restricted_é", "magic_restricte", "magic_", "magic",
             "magic_blockeD", " magic_blocked", "magic_restrictedmagic_blocked", "fan"]
    add_fans(client, caller, clock, {i: name for i, name in enumerate(names, start=1)})
    with transaction(state_of(app).engine) as connection:
        judged = dict(connection.execute(select(fans.c.username, failure_store.magic_reason())
                                         .where(fans.c.account_id == caller.account)).all())
        magic = set(connection.execute(select(fans.c.username).where(fans.c.account_id == caller.account,
                                                                     failure_store.magic_condition())).scalars())
    expected = {name: (kind.reason if (kind := kind_of(name)) else None) for name in names}
    assert judged == expected
    assert magic == {name for name, reason in expected.items() if reason}
    assert magic == {"magic_blocked", "magic_blocked_1", "magic_deletedfoo", "magic_restricted_é",
                     "magic_restrictedmagic_blocked"}
