"""Deleting media from the vault, and an upload's status (the SDK's media.vault.delete, media.uploads).

Deleted media leave the vault, its lists and upload status, and can no longer be attached to a
message; fans who already received them keep seeing them.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from massdm.api.state import state_of
from massdm.delivery.worker import DeliveryWorker, WorkerConfig
from massdm.services import accounts as account_service
from massdm.store.db import transaction
from tests import media_files

SUCCESS = {"success": True}


def _upload(client, caller, account: str | None = None, content: bytes | None = None, name: str = "a.png") -> dict:
    response = client.post(f"/api/{account or caller.account}/media/upload", headers=caller.headers,
                           files={"file": (name, content or media_files.png(60, 40))})
    assert response.status_code == 200, response.text
    return response.json()


def _delete(client, caller, media_ids, account: str | None = None):
    return client.request("DELETE", f"/api/{account or caller.account}/media/vault/delete-media",
                          headers=caller.headers, json={"mediaIds": media_ids})


def _vault_ids(client, caller) -> list[int]:
    body = client.get(f"/api/{caller.account}/media/vault", headers=caller.headers).json()
    return [m["id"] for m in body["data"]["list"]]


def _balance(client, caller) -> int:
    return client.get(f"/api/{caller.account}/fans/all", headers=caller.headers).json()["_meta"]["_credits"][
        "balance"] + 1


def _assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error"] == code and body["message"] and body["description"]
    assert body["_meta"]["_credits"]["used"] == 0
    return body


# --- DELETE /api/{account}/media/vault/delete-media -------------------------------------------------


def test_deleted_media_leave_the_vault_its_lists_and_retrieve(client, caller):
    a, b, c = (_upload(client, caller)["vault_id"] for _ in range(3))
    lists = f"/api/{caller.account}/media/vault/lists"
    vip = client.post(lists, headers=caller.headers, json={"name": "VIP"}).json()["data"]["id"]
    client.post(f"{lists}/{vip}/media", headers=caller.headers, json={"mediaIds": [a, b, c]})

    response = _delete(client, caller, [a, str(b)])  # ids as numbers or numeric strings, like the SDK's
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["data"] == SUCCESS
    assert body["_meta"]["_credits"] == {"used": 1, "balance": body["_meta"]["_credits"]["balance"], "note": "Always"}

    assert _vault_ids(client, caller) == [c]
    for gone in (a, b):
        _assert_error(client.get(f"/api/{caller.account}/media/vault/{gone}", headers=caller.headers), 404,
                      "NOT_FOUND")
    in_list = client.get(f"{lists}/{vip}", headers=caller.headers).json()["data"]
    assert (in_list["photosCount"], in_list["hasMedia"], len(in_list["medias"])) == (1, True, 1)
    page = client.get(lists, headers=caller.headers).json()["data"]
    assert page["all"]["photosCount"] == 1 and len(page["all"]["medias"]) == 1
    listed = client.get(f"/api/{caller.account}/media/vault?list={vip}", headers=caller.headers).json()
    assert [m["id"] for m in listed["data"]["list"]] == [c]


def test_deleting_is_all_or_nothing_and_names_what_is_not_in_the_vault(client, caller):
    kept = _upload(client, caller)["vault_id"]
    balance = _balance(client, caller)
    body = _assert_error(_delete(client, caller, [kept, 424242]), 404, "NOT_FOUND")
    assert "424242" in body["message"] and str(kept) not in body["message"]
    assert _vault_ids(client, caller) == [kept]
    assert _balance(client, caller) == balance - 2  # two reads; the failed delete cost nothing

    assert _delete(client, caller, [kept, kept]).status_code == 200  # an id named twice is deleted once
    again = _assert_error(_delete(client, caller, [kept]), 404, "NOT_FOUND")  # already deleted
    assert str(kept) in again["message"]


def test_another_accounts_media_cannot_be_deleted(client, world, caller):
    sibling = world.account(caller.team, "Sibling")  # the key may use both accounts
    theirs = _upload(client, caller, account=sibling)["vault_id"]
    stranger = world.caller()
    foreign = _upload(client, stranger)["vault_id"]
    for media_id in (theirs, foreign):
        _assert_error(_delete(client, caller, [media_id]), 404, "NOT_FOUND")
    assert client.get(f"/api/{sibling}/media/vault/{theirs}", headers=caller.headers).status_code == 200
    assert _vault_ids(client, stranger) == [foreign]
    # nor can another team's key delete this account's media, whatever the ids
    mine = _upload(client, caller)["vault_id"]
    _assert_error(_delete(client, stranger, [mine], account=caller.account), 404, "NOT_FOUND")
    assert _vault_ids(client, caller) == [mine]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "mediaIds"),
        ({"mediaIds": []}, "mediaIds"),
        ({"mediaIds": "5"}, "mediaIds"),
        ({"mediaIds": None}, "mediaIds"),
        ({"mediaIds": ["abc"]}, "mediaIds.0"),
        ({"mediaIds": [1, 0]}, "mediaIds.1"),
        ({"mediaIds": [-3]}, "mediaIds.0"),
        ({"mediaIds": [2**63]}, "mediaIds.0"),
        ({"mediaIds": [True]}, "mediaIds.0"),
        ({"mediaIds": [1.5]}, "mediaIds.0"),
        ({"mediaIds": list(range(1, 1002))}, "mediaIds"),
        (["not", "an", "object"], "body"),
    ],
)
def test_bad_delete_bodies_are_422(client, caller, body, field):
    response = client.request("DELETE", f"/api/{caller.account}/media/vault/delete-media", headers=caller.headers,
                              json=body)
    assert field in _assert_error(response, 422, "VALIDATION_ERROR")["errors"]


def test_a_delete_without_a_json_body_is_422(client, caller):
    path = f"/api/{caller.account}/media/vault/delete-media"
    assert "body" in _assert_error(client.delete(path, headers=caller.headers), 422, "VALIDATION_ERROR")["errors"]
    broken = client.request("DELETE", path, headers={**caller.headers, "Content-Type": "application/json"},
                            content=b"{mediaIds")
    assert "body" in _assert_error(broken, 422, "VALIDATION_ERROR")["errors"]


# --- deleted media and messages -----------------------------------------------------------------------


def _fan_key(app, clock, caller) -> dict[str, str]:
    with transaction(state_of(app).engine) as connection:
        issued = account_service.create_api_key(
            connection, team=caller.team, name="fan app", account_ids=[], limit_minute=1000, limit_day=None,
            now=clock.now(), scopes=frozenset({"fan"}),
        )
    return {"Authorization": f"Bearer {issued.api_key}"}


@pytest.fixture
def fans(client, caller, clock):
    since = (clock.now() - timedelta(days=3)).isoformat()
    response = client.post(f"/api/{caller.account}/fans", headers=caller.headers,
                           json=[{"id": i, "username": f"fan{i}", "subscribedAt": since} for i in (1, 2)])
    assert response.status_code == 200, response.text
    return caller


@pytest.fixture
def send(app, client, clock):
    def post(caller, **body) -> int:
        response = client.post(f"/api/{caller.account}/mass-messaging", headers=caller.headers,
                               json={"userLists": ["fans"], **body})
        assert response.status_code == 200, response.text
        DeliveryWorker(state_of(app).engine, clock, WorkerConfig(chunk_size=10)).run_until_idle()
        clock.advance(timedelta(seconds=5))
        return response.json()["data"]["id"]
    return post


def test_fans_who_received_deleted_media_still_see_it(app, client, clock, fans, send):
    free, paid = _upload(client, fans), _upload(client, fans, content=media_files.png(80, 40))
    free_message = send(fans, text="for everyone", mediaFiles=[free["vault_id"]])
    paid_message = send(fans, text="pay to see", price=5, mediaFiles=[paid["prefixed_id"]])
    assert _delete(client, fans, [free["vault_id"], paid["vault_id"]]).status_code == 200
    fan = _fan_key(app, clock, fans)

    inbox = client.get("/fan/v1/1/messages", headers=fan).json()["data"]["list"]
    assert [m["id"] for m in inbox] == [paid_message, free_message]
    shown = inbox[1]["media"][0]
    assert shown["id"] == free["vault_id"] and shown["canView"] is True
    assert shown["files"]["full"] == {**free["media"]["files"]["full"]}
    assert client.get(shown["files"]["full"]["url"].replace("http://massdm.test", "")).status_code == 200
    assert inbox[0]["media"] == [{"id": paid["vault_id"], "type": "photo", "canView": False}]

    # bought after the creator deleted it: the buyer gets the files
    bought = client.post(f"/fan/v1/2/messages/{paid_message}/purchase", headers=fan)
    assert bought.status_code == 200, bought.text
    unlocked = bought.json()["data"]["media"][0]
    assert unlocked["canView"] is True and unlocked["files"]["full"]["width"] == 80
    assert client.get(unlocked["files"]["full"]["url"].replace("http://massdm.test", "")).status_code == 200
    # and the creator's own view of the sent message still shows what it carried
    queue = client.get(f"/api/{fans.account}/mass-messaging/{free_message}", headers=fans.headers).json()
    assert queue["data"]["queue"]["mediaTypes"] == "photo"


def test_deleted_media_cannot_be_attached_to_a_new_message(client, fans, send):
    item = _upload(client, fans)
    assert _delete(client, fans, [item["vault_id"]]).status_code == 200
    for ref in (item["vault_id"], str(item["vault_id"]), item["prefixed_id"]):
        response = client.post(f"/api/{fans.account}/mass-messaging", headers=fans.headers,
                               json={"text": "again", "userLists": ["fans"], "mediaFiles": [ref]})
        body = _assert_error(response, 422, "VALIDATION_ERROR")
        assert "Deleted from the vault" in body["errors"]["mediaFiles"][0]
        assert str(ref) in body["errors"]["mediaFiles"][0]
    messages = client.get(f"/api/{fans.account}/mass-messaging", headers=fans.headers).json()["data"]
    assert messages == []  # nothing was created


def test_an_unsent_message_keeps_media_deleted_after_it_was_attached(client, clock, fans):
    kept, added = _upload(client, fans)["vault_id"], _upload(client, fans)["vault_id"]
    path = f"/api/{fans.account}/mass-messaging"
    later = (clock.now() + timedelta(days=1)).isoformat()
    created = client.post(path, headers=fans.headers,
                          json={"text": "later", "userLists": ["fans"], "mediaFiles": [kept], "scheduledDate": later})
    assert created.status_code == 200, created.text
    message_id = created.json()["data"]["id"]
    assert _delete(client, fans, [kept, added]).status_code == 200

    edited = client.put(f"{path}/{message_id}", headers=fans.headers, json={"text": "later, edited",
                                                                             "mediaFiles": [kept]})
    assert edited.status_code == 200, edited.text
    refused = client.put(f"{path}/{message_id}", headers=fans.headers,
                         json={"text": "more", "mediaFiles": [kept, added]})
    body = _assert_error(refused, 422, "VALIDATION_ERROR")
    assert str(added) in body["errors"]["mediaFiles"][0] and str(kept) not in body["errors"]["mediaFiles"][0]
    queue = client.get(f"{path}/{message_id}", headers=fans.headers).json()["data"]["queue"]
    assert queue["text"] == "later, edited"


# --- GET /api/{account}/media/uploads/{upload}/status ------------------------------------------------


def test_an_upload_is_completed_with_its_cost_and_is_free_to_ask_about(client, world):
    caller = world.caller(credits=100)
    upload = _upload(client, caller, name="holiday.png")
    balance = _balance(client, caller)
    response = client.get(f"/api/{caller.account}/media/uploads/{upload['prefixed_id']}/status",
                          headers=caller.headers)
    assert response.status_code == 200, response.text
    assert response.json() == {
        "status": "completed",
        "prefixed_id": upload["prefixed_id"],
        "credits_used": 3,
        "media": upload,  # what the upload itself answered
    }
    creator = client.get("/api/accounts", headers=caller.headers).json()[0]
    assert upload["additional"] == {"user": str(creator["onlyfans_id"])}
    assert upload["sourceUrl"] == upload["media"]["files"]["full"]["url"]
    assert _balance(client, caller) == balance - 1  # only the balance read itself: the status was free


def test_upload_status_of_unknown_foreign_malformed_or_deleted_uploads_is_404(client, world, caller):
    stranger = world.caller()
    foreign = _upload(client, stranger)["prefixed_id"]
    deleted = _upload(client, caller)
    assert _delete(client, caller, [deleted["vault_id"]]).status_code == 200
    for upload in ("ofapi_media_" + "0" * 32, foreign, deleted["prefixed_id"], "ofapi_media_XYZ", "17",
                   "ofapi_media_" + "A" * 32):
        response = client.get(f"/api/{caller.account}/media/uploads/{upload}/status", headers=caller.headers)
        body = _assert_error(response, 404, "NOT_FOUND")
        assert body["_meta"]["_credits"]["note"] == "Free endpoint"
    assert client.get(f"/api/{stranger.account}/media/uploads/{foreign}/status",
                      headers=stranger.headers).status_code == 200
