"""Which changes make which events, with what payloads, for which webhooks; written with the change itself."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from massdm.api.state import state_of
from massdm.delivery.worker import DeliveryWorker, WorkerConfig
from massdm.services import accounts as account_service
from massdm.store.db import transaction
from massdm.store.tables import delivery_chunks, webhook_events
from tests import media_files


def _events(app) -> int:
    with transaction(state_of(app).engine) as connection:
        return connection.execute(select(func.count()).select_from(webhook_events)).scalar_one()


def _fan_headers(app, clock, team) -> dict[str, str]:
    with transaction(state_of(app).engine) as connection:
        issued = account_service.create_api_key(connection, team=team, name="fan app", account_ids=[],
                                                limit_minute=1000, limit_day=None, now=clock.now(),
                                                scopes=frozenset({"fan"}))
    return {"Authorization": f"Bearer {issued.api_key}"}


def _upload(client, caller) -> int:
    response = client.post(f"/api/{caller.account}/media/upload", headers=caller.headers,
                           files={"file": ("a.png", media_files.png(40, 40))})
    assert response.status_code == 200, response.text
    return response.json()["vault_id"]


def test_a_send_announces_its_queue_item_then_its_finish(client, fans, hook, send, deliver, dispatch, receiver):
    hook()
    message = send()
    dispatch()
    [queued] = receiver.received
    assert queued.event == "chat_queue.updated" and queued.account_id == fans.account
    assert queued.payload["id"] == message and queued.payload["status"] == "queued"
    assert queued.payload["total"] == -1 and queued.payload["isDone"] is False

    deliver()
    dispatch()
    assert receiver.events()[-1] == "chat_queue.finished"
    finished = receiver.received[-1].payload
    listed = client.get(f"/api/{fans.account}/mass-messaging", headers=fans.headers).json()["data"]
    assert finished == next(item for item in listed if item["id"] == message)  # shaped like the queue item
    assert finished["isDone"] is True and finished["total"] == 3 and finished["pending"] == 0


def test_delivery_progress_is_announced_at_most_once_per_chunk_and_interval(app, clock, fans, hook, send, dispatch,
                                                                           receiver):
    hook()
    send()
    DeliveryWorker(state_of(app).engine, clock, WorkerConfig(chunk_size=1)).run_until_idle()  # 3 chunks, no time passes
    dispatch()
    assert receiver.events() == ["chat_queue.updated", "chat_queue.updated", "chat_queue.finished"]
    progress = receiver.received[1].payload
    assert progress["isDone"] is False and progress["total"] == 3 and progress["pending"] == 2

    again = send(text="every chunk")
    config = WorkerConfig(chunk_size=1, progress_every=timedelta(0))
    DeliveryWorker(state_of(app).engine, clock, config).run_until_idle()
    dispatch()
    with transaction(state_of(app).engine) as connection:
        chunks = connection.execute(select(func.count()).select_from(delivery_chunks)
                                    .where(delivery_chunks.c.message_id == again)).scalar_one()
    # queued, then one per chunk but the last, which finishes the message
    assert receiver.events()[3:] == ["chat_queue.updated"] * chunks + ["chat_queue.finished"]
    pending = [d.payload["pending"] for d in receiver.received[4:-1]]
    assert pending == sorted(pending, reverse=True) and pending[0] == 2


def test_unsend_change_and_release_are_announced(client, clock, fans, hook, send, deliver, dispatch, receiver):
    hook(events=["chat_queue.updated"])
    message = send()
    deliver()
    assert client.delete(f"/api/{fans.account}/mass-messaging/{message}", headers=fans.headers).status_code == 200
    dispatch()
    canceled = receiver.received[-1].payload
    assert canceled["isCanceled"] is True and canceled["status"] == "canceled" and canceled["canUnsend"] is False

    later = (clock.now() + timedelta(hours=2)).isoformat()
    scheduled = send(scheduledDate=later)
    changed = client.put(f"/api/{fans.account}/mass-messaging/{scheduled}", headers=fans.headers,
                         json={"text": "changed", "scheduledDate": (clock.now() + timedelta(hours=3)).isoformat()})
    assert changed.status_code == 200, changed.text
    dispatch()
    assert [d.payload["status"] for d in receiver.received[-2:]] == ["scheduled", "scheduled"]

    before = len(receiver.received)
    send(saveForLater=True)  # not in the queue: nothing to say yet
    dispatch()
    assert len(receiver.received) == before
    enable = client.patch(f"/api/{fans.account}/saved-for-later/messages/settings/enable-or-update-automatic-messaging",
                          headers=fans.headers, json={"period": 6})
    assert enable.status_code == 200, enable.text
    clock.advance(timedelta(hours=6, seconds=1))
    DeliveryWorker(state_of(client.app).engine, clock, WorkerConfig()).run_until_idle()  # automation releases it
    dispatch()
    released = [d.payload for d in receiver.received[before:]]
    assert released[0]["status"] == "queued"


def test_a_cancel_mid_delivery_is_announced_as_updated_and_finished_once(app, client, clock, fans, hook, send,
                                                                          dispatch, receiver):
    """chat_queue.finished comes once per queued message, when its item first says isDone: here the cancel."""
    hook(events=["chat_queue.updated", "chat_queue.finished"])
    message = send()
    worker = DeliveryWorker(state_of(app).engine, clock, WorkerConfig(chunk_size=1))
    worker.run_once()  # counted: three fans, three chunks
    worker.run_once()  # one delivered
    dispatch()
    before = len(receiver.received)
    assert "chat_queue.finished" not in receiver.events()

    assert client.delete(f"/api/{fans.account}/mass-messaging/{message}", headers=fans.headers).status_code == 200
    worker.run_until_idle()  # the chunk claimed ahead is rolled back: no progress, no second finish
    dispatch()
    after = {d.event: d.payload for d in receiver.received[before:]}
    assert sorted(d.event for d in receiver.received[before:]) == ["chat_queue.finished", "chat_queue.updated"]
    assert after["chat_queue.finished"] == after["chat_queue.updated"]  # the same queue item
    item = after["chat_queue.finished"]
    assert (item["id"], item["isDone"], item["isCanceled"], item["status"]) == (message, True, True, "canceled")
    assert (item["total"], item["pending"], item["canUnsend"]) == (3, 0, False)
    listed = client.get(f"/api/{fans.account}/mass-messaging", headers=fans.headers).json()["data"]
    assert item == next(entry for entry in listed if entry["id"] == message)


def test_finished_comes_once_whether_a_message_ends_by_delivery_or_by_cancel(client, clock, fans, hook, send,
                                                                             deliver, dispatch, receiver):
    hook(events=["chat_queue.finished"])
    delivered = send()
    deliver()
    assert client.delete(f"/api/{fans.account}/mass-messaging/{delivered}", headers=fans.headers).status_code == 200
    scheduled = send(scheduledDate=(clock.now() + timedelta(hours=1)).isoformat())
    assert client.delete(f"/api/{fans.account}/mass-messaging/{scheduled}", headers=fans.headers).status_code == 200
    saved = send(saveForLater=True)  # never in the queue, so never announced
    assert client.delete(f"/api/{fans.account}/mass-messaging/{saved}", headers=fans.headers).status_code == 200
    clock.advance(timedelta(hours=2))
    deliver()
    dispatch()
    finished = [(d.payload["id"], d.payload["isCanceled"]) for d in receiver.received]
    # the delivered one by its last chunk (the unsend after it is only an update); the scheduled one by its cancel
    assert sorted(finished) == sorted([(delivered, False), (scheduled, True)])


def test_a_purchase_tells_who_bought_what_for_how_much(app, client, clock, fans, hook, send, deliver, dispatch,
                                                      receiver):
    hook(events=["messages.ppv.unlocked"])
    media = _upload(client, fans)
    message = send(text="<b>special</b>", price=9.99, mediaFiles=[str(media)])
    deliver()
    fan = _fan_headers(app, clock, fans.team)
    bought = client.post(f"/fan/v1/2/messages/{message}/purchase", headers=fan)
    assert bought.status_code == 200, bought.text
    dispatch()
    [sale] = receiver.received
    assert sale.event == "messages.ppv.unlocked" and sale.account_id == fans.account
    payload = sale.payload
    assert (payload["fanId"], payload["messageId"]) == (2, message)
    assert (payload["amount"], payload["amountCents"]) == (9.99, 999)
    assert payload["user"] == {"id": 2, "username": "fan2", "name": "Fan 2"}
    assert payload["replacePairs"]["{AMOUNT}"] == "$9.99" and "$9.99" in payload["text"]
    assert payload["createdAt"].endswith("+00:00") and isinstance(payload["user_id"], int)
    assert client.post(f"/fan/v1/2/messages/{message}/purchase", headers=fan).status_code == 409
    dispatch()
    assert len(receiver.received) == 1  # a refused second purchase tells nobody anything


def test_a_batch_of_fan_events_announces_each_purchase_like_the_single_call(app, client, clock, fans, hook, send,
                                                                           deliver, dispatch, receiver):
    hook(events=["messages.ppv.unlocked"])
    message = send(text="<b>special</b>", price=9.99, mediaFiles=[str(_upload(client, fans))])
    deliver()
    fan = _fan_headers(app, clock, fans.team)
    assert client.post(f"/fan/v1/2/messages/{message}/purchase", headers=fan).status_code == 200
    batch = client.post("/fan/v1/events", headers=fan, json={"events": [
        {"fanId": 1, "messageId": message, "type": "view"},
        {"fanId": 2, "messageId": message, "type": "purchase"},  # bought already: nothing to announce
        {"fanId": 1, "messageId": message, "type": "purchase"},
        {"fanId": 3, "messageId": message, "type": "purchase"},
        {"fanId": 3, "messageId": message, "type": "purchase"},
    ]})
    assert batch.status_code == 200, batch.text
    assert [r["status"] for r in batch.json()["data"]["results"]] == [
        "applied", "duplicate", "applied", "applied", "duplicate"]
    dispatch()
    sales = {d.payload["fanId"]: d for d in receiver.received}
    assert sorted(sales) == [1, 2, 3] and len({d.idempotency_key for d in receiver.received}) == 3
    single = sales[2].payload
    for fan_id in (1, 3):
        sale = sales[fan_id]
        assert sale.event == "messages.ppv.unlocked" and sale.account_id == fans.account
        payload = sale.payload
        assert set(payload) == set(single)
        assert payload["user"] == {"id": fan_id, "username": f"fan{fan_id}", "name": f"Fan {fan_id}"}
        assert (payload["messageId"], payload["amount"], payload["amountCents"]) == (message, 9.99, 999)
        assert payload["replacePairs"] == {"{AMOUNT}": "$9.99",
                                           "{MESSAGE_LINK}": f"/fan/v1/{fan_id}/messages/{message}"}
        assert payload["text"] == f"Fan {fan_id} unlocked your message for $9.99"
        assert payload["user_id"] == single["user_id"] and payload["id"] != single["id"]
    buyers = client.get(f"/api/{fans.account}/engagement/messages/{message}/buyers", headers=fans.headers).json()
    assert sorted(b["id"] for b in buyers["data"]["list"]) == [1, 2, 3]


def test_messages_sent_goes_only_to_webhooks_that_opt_in(client, fans, hook, send, deliver, dispatch, receiver):
    hook(events=["messages.sent"])  # not opted in: nothing per fan
    opted = hook(events=["messages.sent"], mass_message_sent=True)
    message = send(text="to each of you")
    deliver(chunk_size=2)
    assert dispatch() == 3
    assert all(d.event == "messages.sent" for d in receiver.received)
    assert sorted(d.payload["toUser"]["id"] for d in receiver.received) == [1, 2, 3]
    first = receiver.received[0].payload
    assert first["queueId"] == message and first["text"] == "to each of you" and first["isFromQueue"] is True
    assert len({d.idempotency_key for d in receiver.received}) == 3
    rows = client.get(f"/api/webhooks/{opted['id']}/deliveries", headers=fans.headers).json()["data"]
    assert sorted(r["payload"]["toUser"]["id"] for r in rows) == [1, 2, 3]


def test_account_scopes_pick_whose_events_a_webhook_gets(client, clock, world, fans, hook, send, dispatch, receiver):
    other = world.account(fans.team, "Second creator")
    since = (clock.now() - timedelta(days=3)).isoformat()
    assert client.post(f"/api/{other}/fans", headers=fans.headers,
                       json=[{"id": 9, "username": "fan9", "subscribedAt": since}]).status_code == 200
    hook(events=["chat_queue.updated"], account_scope="inclusive", account_ids=[other])
    hook(events=["chat_queue.updated"], account_scope="exclusive", account_ids=[other])
    hook(events=["chat_queue.finished"])  # subscribed to something else
    send()  # on fans.account: only the exclusive webhook hears it
    dispatch()
    assert [d.account_id for d in receiver.received] == [fans.account]
    client.post(f"/api/{other}/mass-messaging", headers=fans.headers, json={"text": "hi", "userLists": ["fans"]})
    dispatch()
    assert [d.account_id for d in receiver.received] == [fans.account, other]


def test_nothing_is_written_when_no_webhook_listens(app, fans, send, deliver):
    send()
    deliver()
    assert _events(app) == 0


def test_an_event_rolls_back_with_the_change_that_caused_it(app, client, world, hook, dispatch, receiver):
    poor = world.caller(credits=2)  # the call costs 1, the 1.2 MB attached file 6 more
    hook(who=poor, events=["chat_queue.updated"])
    assert client.post(f"/api/{poor.account}/fans", headers=poor.headers,
                       json=[{"id": 1, "username": "fan1"}]).status_code == 200
    response = client.post(f"/api/{poor.account}/mass-messaging", headers=poor.headers,
                           data={"text": "with a file", "userLists": "fans"},
                           files={"mediaFiles[]": ("big.png", media_files.png(30, 30) + b"\0" * 1_200_000)})
    assert response.status_code == 402, response.text
    assert _events(app) == 0
    assert dispatch() == 0 and receiver.received == []
