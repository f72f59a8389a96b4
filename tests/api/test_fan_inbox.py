"""The fan side (/fan/v1/{fan_id}/...): a fan's inbox of mass messages, viewing and buying one."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from massdm.api.state import state_of
from massdm.delivery.worker import DeliveryWorker, WorkerConfig
from massdm.services import accounts as account_service
from massdm.store.db import transaction
from tests import media_files

UNAUTHORIZED = {"error": "Unauthorized. Go to http://massdm.test/api-keys to get your API key."}


def _fan_headers(app, clock, team, accounts: list[str] | None = None) -> dict[str, str]:
    with transaction(state_of(app).engine) as connection:
        issued = account_service.create_api_key(
            connection, team=team, name="fan app", account_ids=accounts or [], limit_minute=1000, limit_day=None,
            now=clock.now(), scopes=frozenset({"fan"}),
        )
    return {"Authorization": f"Bearer {issued.api_key}"}


def _add_fans(client, caller, account: str, clock, ids=(1, 2, 3)) -> None:
    now = clock.now()
    fans = [{"id": i, "username": f"fan{i}", "subscribedAt": (now - timedelta(days=5)).isoformat()} for i in ids]
    fans.append({"id": 4, "username": "gone", "subscribedAt": (now - timedelta(days=60)).isoformat(),
                 "expiresAt": (now - timedelta(days=1)).isoformat()})
    response = client.post(f"/api/{account}/fans", headers=caller.headers, json=fans)
    assert response.status_code == 200, response.text


def _upload(client, caller) -> int:
    response = client.post(f"/api/{caller.account}/media/upload", headers=caller.headers,
                           files={"file": ("a.png", media_files.png(50, 50))})
    assert response.status_code == 200, response.text
    return response.json()["vault_id"]


@pytest.fixture
def fans(client, caller, clock):
    _add_fans(client, caller, caller.account, clock)
    return caller


@pytest.fixture
def fan(app, clock, fans):
    return _fan_headers(app, clock, fans.team)


@pytest.fixture
def deliver(app, clock):
    def run() -> None:
        DeliveryWorker(state_of(app).engine, clock, WorkerConfig(chunk_size=2)).run_until_idle()
    return run


@pytest.fixture
def send(client, clock, deliver):
    def post(caller, account: str | None = None, **body) -> int:
        body.setdefault("userLists", ["fans"])
        response = client.post(f"/api/{account or caller.account}/mass-messaging", headers=caller.headers, json=body)
        assert response.status_code == 200, response.text
        deliver()
        clock.advance(timedelta(seconds=5))
        return response.json()["data"]["id"]
    return post


def _inbox(client, fan, fan_id: int, query: str = "") -> list[dict]:
    response = client.get(f"/fan/v1/{fan_id}/messages{query}", headers=fan)
    assert response.status_code == 200, response.text
    return response.json()["data"]["list"]


def _queue(client, caller, message_id: int) -> dict:
    response = client.get(f"/api/{caller.account}/mass-messaging/{message_id}", headers=caller.headers)
    assert response.status_code == 200, response.text
    return response.json()["data"]["queue"]


def _act(client, fan, fan_id: int, message_id: int, action: str):
    return client.post(f"/fan/v1/{fan_id}/messages/{message_id}/{action}", headers=fan)


def _assert_not_found(response) -> None:
    assert response.status_code == 404, response.text
    body = response.json()
    assert body["error"] == "NOT_FOUND" and body["message"] and body["description"]
    assert body["_meta"]["_credits"]["used"] == 0


def test_fan_endpoints_and_api_endpoints_need_their_own_scope(client, fans, fan):
    api_key_on_fan_side = client.get("/fan/v1/1/messages", headers=fans.headers)
    assert api_key_on_fan_side.status_code == 401
    assert api_key_on_fan_side.json() == UNAUTHORIZED
    assert _act(client, fans.headers, 1, 1, "view").json() == UNAUTHORIZED
    assert client.get("/fan/v1/1/messages").json() == UNAUTHORIZED
    for path in (f"/api/{fans.account}/user-lists", f"/api/{fans.account}/mass-messaging", "/api/whoami"):
        response = client.get(path, headers=fan)
        assert response.status_code == 401, path
        assert response.json() == UNAUTHORIZED
    refused = client.post(f"/api/{fans.account}/mass-messaging", headers=fan,
                          json={"text": "hi", "userLists": ["fans"]})
    assert refused.status_code == 401 and refused.json() == UNAUTHORIZED
    assert client.get("/fan/v1/1/messages", headers=fan).status_code == 200


def test_inbox_lists_delivered_messages_newest_first_across_the_teams_accounts(
    app, client, clock, world, fans, fan, send
):
    second = world.account(fans.team, "Second")
    _add_fans(client, fans, second, clock, ids=(1,))
    stranger = world.caller()
    _add_fans(client, stranger, stranger.account, clock, ids=(1, 2))

    everyone = send(fans, text="hello all")
    other_team = send(stranger, text="another team's news")
    on_second = send(fans, account=second, text="from the second account")
    only_two = send(fans, text="just for two", userLists=[], userIds=[2])

    one = _inbox(client, fan, 1)
    assert [(m["id"], m["accountId"], m["text"]) for m in one] == [
        (on_second, second, "from the second account"), (everyone, fans.account, "hello all")]
    assert [m["id"] for m in _inbox(client, fan, 2)] == [only_two, everyone]
    assert [m["id"] for m in _inbox(client, fan, 3)] == [everyone]
    assert other_team not in [m["id"] for m in one]
    assert [m["id"] for m in _inbox(client, _fan_headers(app, clock, stranger.team), 1)] == [other_team]
    first = one[-1]
    assert (first["isFree"], first["price"], first["isViewed"], first["isPurchased"], first["isCanceled"]) == (
        True, None, False, False, False)

    limited = _fan_headers(app, clock, fans.team, accounts=[second])
    assert [m["id"] for m in _inbox(client, limited, 1)] == [on_second]
    _assert_not_found(client.get(f"/fan/v1/1/messages/{everyone}", headers=limited))
    _assert_not_found(_act(client, limited, 1, everyone, "view"))


def test_inbox_pages_with_limit_offset_and_next_page(client, fans, fan, send):
    sent = [send(fans, text=f"message {n}") for n in range(5)]
    first = client.get("/fan/v1/1/messages?limit=2", headers=fan).json()
    assert [m["id"] for m in first["data"]["list"]] == [sent[4], sent[3]]
    assert first["data"]["hasMore"] is True
    seen, url = [m["id"] for m in first["data"]["list"]], first["_pagination"]["next_page"]
    pages = 1
    while url:
        parts = urlsplit(url)
        assert parts.netloc == "massdm.test" and parts.path == "/fan/v1/1/messages"
        assert parse_qs(parts.query)["limit"] == ["2"]
        page = client.get(f"{parts.path}?{parts.query}", headers=fan).json()
        seen += [m["id"] for m in page["data"]["list"]]
        url, pages = page["_pagination"]["next_page"], pages + 1
    assert seen == sent[::-1] and pages == 3
    tail = client.get("/fan/v1/1/messages?limit=2&offset=4", headers=fan).json()
    assert [m["id"] for m in tail["data"]["list"]] == [sent[0]]
    assert tail["data"]["hasMore"] is False and tail["_pagination"]["next_page"] is None
    assert _inbox(client, fan, 1, "?offset=5") == []


def test_paid_message_hides_locked_text_and_paid_media_until_bought(client, fans, fan, send):
    shown, hidden = _upload(client, fans), _upload(client, fans)
    paid = send(fans, text="<b>secret</b> stuff", price=10, lockedText=True, mediaFiles=[shown, hidden], previews=[0])
    open_text = send(fans, text="visible caption", price=5, mediaFiles=[hidden])
    free = send(fans, text="free pics", mediaFiles=[shown, hidden])

    inbox = {m["id"]: m for m in _inbox(client, fan, 1)}
    locked = inbox[paid]
    assert locked["text"] is None and locked["lockedText"] is True
    assert (locked["isFree"], locked["price"], locked["canPurchase"], locked["isPurchased"]) == (
        False, "10.00", True, False)
    assert locked["mediaCount"] == 2 and locked["previews"] == [shown]
    preview, secret = locked["media"]
    assert preview["id"] == shown and preview["canView"] is True
    assert preview["files"]["full"]["url"].startswith("http") and preview["files"]["full"]["width"] == 50
    assert secret == {"id": hidden, "type": "photo", "canView": False}

    caption = inbox[open_text]
    assert caption["text"] == "visible caption" and caption["lockedText"] is False and caption["price"] == "5.00"
    assert caption["media"] == [{"id": hidden, "type": "photo", "canView": False}]

    everything = inbox[free]
    assert everything["text"] == "free pics" and everything["canPurchase"] is False
    assert [(m["id"], m["canView"], m["files"]["full"]["width"]) for m in everything["media"]] == [
        (shown, True, 50), (hidden, True, 50)]

    single = client.get(f"/fan/v1/1/messages/{paid}", headers=fan).json()["data"]
    assert single["text"] is None and single["media"][1] == {"id": hidden, "type": "photo", "canView": False}


def test_a_view_counts_once_per_fan(client, fans, fan, send):
    message = send(fans, text="look")
    first = _act(client, fan, 1, message, "view")
    assert first.status_code == 200, first.text
    assert first.json()["data"]["isViewed"] is True and first.json()["data"]["text"] == "look"
    assert _act(client, fan, 1, message, "view").status_code == 200
    queue = _queue(client, fans, message)
    assert (queue["viewedCount"], queue["sentCount"]) == (1, 3)
    assert _act(client, fan, 2, message, "view").status_code == 200
    assert _queue(client, fans, message)["viewedCount"] == 2
    assert [m["isViewed"] for m in _inbox(client, fan, 1)] == [True]
    assert [m["isViewed"] for m in _inbox(client, fan, 3)] == [False]


def test_purchase_unlocks_for_the_buyer_only_records_revenue_and_counts_a_view(client, fans, fan, send):
    shown, hidden = _upload(client, fans), _upload(client, fans)
    paid = send(fans, text="secret", price="12.50", lockedText=True, mediaFiles=[shown, hidden], previews=[shown])

    bought = _act(client, fan, 1, paid, "purchase")
    assert bought.status_code == 200, bought.text
    data = bought.json()["data"]
    assert data["text"] == "secret" and data["isPurchased"] is True and data["isViewed"] is True
    assert data["canPurchase"] is False
    assert [(m["id"], m["canView"], m["files"]["full"]["width"]) for m in data["media"]] == [
        (shown, True, 50), (hidden, True, 50)]

    again = _act(client, fan, 1, paid, "purchase")
    assert again.status_code == 409, again.text
    assert again.json()["error"] == "CONFLICT" and again.json()["message"]

    other = _inbox(client, fan, 2)[0]
    assert other["text"] is None and other["isPurchased"] is False and other["canPurchase"] is True
    assert other["media"][1] == {"id": hidden, "type": "photo", "canView": False}

    queue = _queue(client, fans, paid)
    assert (queue["purchasedCount"], queue["viewedCount"], queue["price"]) == (1, 1, "12.50")

    assert _act(client, fan, 2, paid, "view").status_code == 200
    assert _act(client, fan, 2, paid, "purchase").status_code == 200
    queue = _queue(client, fans, paid)
    assert (queue["purchasedCount"], queue["viewedCount"]) == (2, 2)  # fan 2's view was already counted

    buyers = client.get(f"/api/{fans.account}/engagement/messages/{paid}/buyers", headers=fans.headers)
    assert buyers.status_code == 200, buyers.text
    assert [(b["id"], b["username"], b["paidAmount"]) for b in buyers.json()["data"]["list"]] == [
        (1, "fan1", "12.50"), (2, "fan2", "12.50")]
    top = client.get(f"/api/{fans.account}/engagement/messages/top-message", headers=fans.headers).json()["data"]
    assert top["purchases"]["id"] == paid and top["purchases"]["totalRevenueGenerated"] == "25.00"
    assert (top["purchases"]["purchasedCount"], top["purchases"]["price"]) == (2, "12.50")
    assert _inbox(client, fan, 3)[0]["text"] is None


def test_a_free_message_cannot_be_bought(client, fans, fan, send):
    free = send(fans, text="free")
    response = _act(client, fan, 1, free, "purchase")
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["error"] == "VALIDATION_ERROR" and body["errors"] and "free" in body["message"]
    assert _queue(client, fans, free)["purchasedCount"] == 0
    assert _inbox(client, fan, 1)[0]["isPurchased"] is False
    buyers = client.get(f"/api/{fans.account}/engagement/messages/{free}/buyers", headers=fans.headers)
    assert buyers.json()["data"]["list"] == []


def test_after_unsending_only_buyers_keep_the_message(client, fans, fan, send):
    shown, hidden = _upload(client, fans), _upload(client, fans)
    paid = send(fans, text="secret", price=20, lockedText=True, mediaFiles=[shown, hidden], previews=[0])
    assert _act(client, fan, 1, paid, "purchase").status_code == 200
    assert _act(client, fan, 2, paid, "view").status_code == 200
    before = _queue(client, fans, paid)

    unsent = client.delete(f"/api/{fans.account}/mass-messaging/{paid}", headers=fans.headers)
    assert unsent.status_code == 200, unsent.text
    assert unsent.json()["data"]["queue"]["isCanceled"] is True

    kept = _inbox(client, fan, 1)
    assert [m["id"] for m in kept] == [paid]
    assert kept[0]["isCanceled"] is True and kept[0]["text"] == "secret" and kept[0]["canPurchase"] is False
    assert [(m["id"], m["canView"], m["files"]["full"]["width"]) for m in kept[0]["media"]] == [
        (shown, True, 50), (hidden, True, 50)]
    assert _act(client, fan, 1, paid, "view").status_code == 200

    for fan_id in (2, 3):
        assert _inbox(client, fan, fan_id) == []
        _assert_not_found(client.get(f"/fan/v1/{fan_id}/messages/{paid}", headers=fan))
        _assert_not_found(_act(client, fan, fan_id, paid, "view"))
        _assert_not_found(_act(client, fan, fan_id, paid, "purchase"))

    after = _queue(client, fans, paid)
    assert (after["sentCount"], after["viewedCount"], after["purchasedCount"]) == (3, 2, 1)
    assert (before["sentCount"], before["viewedCount"], before["purchasedCount"]) == (3, 2, 1)
    buyers = client.get(f"/api/{fans.account}/engagement/messages/{paid}/buyers", headers=fans.headers)
    assert [b["id"] for b in buyers.json()["data"]["list"]] == [1]


def test_fans_outside_the_audience_and_expired_fans_get_nothing(client, fans, fan, send):
    shown = _upload(client, fans)
    to_one = send(fans, text="only one", userLists=[], userIds=[1])
    paid = send(fans, text="pay", price=5, mediaFiles=[shown], userLists=["fans"], userIds=[4])
    assert _queue(client, fans, paid)["sentCount"] == 3  # fans 1-3; fan 4's subscription ran out

    for message in (to_one, paid):
        for action in ("view", "purchase"):
            _assert_not_found(_act(client, fan, 4, message, action))
    assert _inbox(client, fan, 4) == []
    assert [m["id"] for m in _inbox(client, fan, 2)] == [paid]
    _assert_not_found(_act(client, fan, 2, to_one, "view"))
    _assert_not_found(client.get(f"/fan/v1/3/messages/{to_one}", headers=fan))
    assert _queue(client, fans, to_one)["viewedCount"] == 0
    assert _inbox(client, fan, 777) == []


@pytest.mark.parametrize("path", [
    "/fan/v1/1/messages/999999/view", "/fan/v1/1/messages/999999/purchase", "/fan/v1/1/messages/999999",
    f"/fan/v1/{2**63 - 1}/messages/1/view",
])
def test_unknown_ids_are_404(client, fans, fan, send, path):
    send(fans, text="there is one message")
    method = client.post if path.endswith(("view", "purchase")) else client.get
    _assert_not_found(method(path, headers=fan))


@pytest.mark.parametrize(("path", "field"), [
    ("/fan/v1/0/messages", "fan_id"),
    (f"/fan/v1/{2**63}/messages", "fan_id"),
    ("/fan/v1/abc/messages", "fan_id"),
    (f"/fan/v1/1/messages/{10**30}", "message_id"),
    ("/fan/v1/1/messages/0", "message_id"),
    ("/fan/v1/1/messages?limit=0", "limit"),
    ("/fan/v1/1/messages?limit=101", "limit"),
    ("/fan/v1/1/messages?offset=-1", "offset"),
])
def test_malformed_ids_and_paging_are_422(client, fan, path, field):
    response = client.get(path, headers=fan)
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["error"] == "VALIDATION_ERROR" and body["message"] and body["description"]
    assert list(body["errors"]) == [field] and body["errors"][field][0]
    assert body["_meta"]["_credits"]["used"] == 0


@pytest.mark.parametrize("action", ["view", "purchase"])
def test_huge_message_id_on_actions_is_422(client, fan, action):
    response = _act(client, fan, 1, 2**64, action)
    assert response.status_code == 422, response.text
    assert response.json()["error"] == "VALIDATION_ERROR" and "message_id" in response.json()["errors"]
