"""POST /api/{account}/mass-messaging through the real ASGI app: every rule of the send body, and good sends."""

from __future__ import annotations

import io
import math
import os
from datetime import timedelta

import pytest
from PIL import Image

from massdm.api.state import state_of
from massdm.delivery.worker import DeliveryWorker, WorkerConfig
from massdm.domain.banned_words import BLOCKED_BY, BannedWords
from tests import media_files

UNKNOWN_UPLOAD = "ofapi_media_" + "0" * 32
BANNED = BannedWords.load()
QUEUE_ITEM_KEYS = {"id", "date", "isReady", "isDone", "total", "pending", "canUnsend", "unsendSeconds", "hasError",
                   "isCanceled", "isCouplePeopleMedia"}


@pytest.fixture
def account(client, caller, clock):
    """Fans 1-3 active (3 subscribed today), fan 4 expired; custom list VIP = [1]."""
    now = clock.now()
    fans = [
        {"id": 1, "username": "one", "subscribedAt": (now - timedelta(days=10)).isoformat()},
        {"id": 2, "username": "two", "subscribedAt": (now - timedelta(days=2)).isoformat()},
        {"id": 3, "username": "three", "subscribedAt": (now - timedelta(hours=1)).isoformat()},
        {"id": 4, "username": "gone", "subscribedAt": (now - timedelta(days=60)).isoformat(),
         "expiresAt": (now - timedelta(days=1)).isoformat()},
    ]
    assert client.post(f"/api/{caller.account}/fans", headers=caller.headers, json=fans).status_code == 200
    vip = client.post(f"/api/{caller.account}/user-lists", headers=caller.headers, json={"name": "VIP"}).json()["data"]
    client.post(f"/api/{caller.account}/user-lists/{vip['id']}/users", headers=caller.headers, json={"ids": [1]})
    caller.vip = vip["id"]
    return caller


def _send(client, caller, **body):
    return client.post(f"/api/{caller.account}/mass-messaging", headers=caller.headers, json=body)


def _ok(response) -> dict:
    assert response.status_code == 200, response.text
    return response.json()["data"]


def _invalid(response, field: str) -> list[str]:
    """A contract 422 naming `field`; it costs nothing. Returns that field's messages."""
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["error"] == "VALIDATION_ERROR", body
    assert field in body["errors"], body["errors"]
    assert body["message"] and body["description"]
    assert body["_meta"]["_credits"]["used"] == 0
    return body["errors"][field]


def _upload(client, caller, content: bytes | None = None) -> dict:
    response = client.post(f"/api/{caller.account}/media/upload", headers=caller.headers,
                           files={"file": ("pic.png", content or media_files.png(64, 64))})
    assert response.status_code == 200, response.text
    return response.json()


def _queue(client, caller) -> tuple[list[dict], int]:
    body = client.get(f"/api/{caller.account}/mass-messaging", headers=caller.headers).json()
    return body["data"], body["_meta"]["_credits"]["balance"]


def _message(client, caller, message_id: int) -> dict:
    return _ok(client.get(f"/api/{caller.account}/mass-messaging/{message_id}", headers=caller.headers))["queue"]


def _in(clock, **delta) -> str:
    return (clock.now() + timedelta(**delta)).strftime("%Y-%m-%dT%H:%M:%S.000Z")


# --- text ----------------------------------------------------------------------------------


def test_text_is_required(client, account):
    for body in ({}, {"text": ""}, {"text": "   "}, {"text": None}, {"text": 5}, {"text": "x" * 20_001}):
        _invalid(_send(client, account, userLists=["fans"], **body), "text")


# --- price ---------------------------------------------------------------------------------


def test_bad_prices(client, account):
    upload = _upload(client, account)["prefixed_id"]
    for price in (2, 2.99, 201, 200.01, 3.999, "4.001", -5, "-10", "abc", "", True, [5]):
        response = _send(client, account, text="hi", userLists=["fans"], price=price, mediaFiles=[upload])
        _invalid(response, "price")


def test_nan_and_infinity_in_raw_json_are_refused(client, account):
    vault_id = _upload(client, account)["vault_id"]
    for raw in ("NaN", "Infinity", "-Infinity", '"NaN"', '"Infinity"'):
        body = f'{{"text": "hi", "userLists": ["fans"], "mediaFiles": [{vault_id}], "price": {raw}}}'
        response = client.post(f"/api/{account.account}/mass-messaging", content=body,
                               headers={**account.headers, "Content-Type": "application/json"})
        _invalid(response, "price")


def test_a_price_needs_media_files(client, account):
    messages = _invalid(_send(client, account, text="hi", userLists=["fans"], price=10), "mediaFiles")
    assert "price" in messages[0]
    _invalid(_send(client, account, text="hi", userLists=["fans"], price=10, mediaFiles=[]), "mediaFiles")


# --- media and previews --------------------------------------------------------------------


def test_previews_must_be_among_the_media_files(client, account):
    a, b = _upload(client, account), _upload(client, account)
    common = {"text": "hi", "userLists": ["fans"], "price": 5}
    by_id = _invalid(_send(client, account, **common, mediaFiles=[a["prefixed_id"]], previews=[b["prefixed_id"]]),
                     "previews")
    assert b["prefixed_id"] in by_id[0]
    _invalid(_send(client, account, **common, mediaFiles=[a["prefixed_id"]], previews=[1]), "previews")
    _invalid(_send(client, account, **common, mediaFiles=[a["prefixed_id"]], previews=[-1]), "previews")
    _invalid(_send(client, account, text="hi", userLists=["fans"], previews=[a["prefixed_id"]]), "previews")
    _invalid(_send(client, account, text="hi", userLists=["fans"], previews=[0]), "previews")


def test_unknown_media_is_named(client, account):
    known = _upload(client, account)["prefixed_id"]
    for ref in (UNKNOWN_UPLOAD, 987654, "987654", "not-a-media-id"):
        messages = _invalid(_send(client, account, text="hi", userLists=["fans"], mediaFiles=[known, ref]),
                            "mediaFiles")
        assert str(ref) in messages[0] and known not in messages[0]


def test_another_accounts_media_is_unknown(client, account, world):
    other = world.caller()
    theirs = _upload(client, other)
    for ref in (theirs["vault_id"], theirs["prefixed_id"]):
        messages = _invalid(_send(client, account, text="hi", userLists=["fans"], mediaFiles=[ref]), "mediaFiles")
        assert str(ref) in messages[0]


def test_an_upload_id_is_attached_once_but_its_vault_id_can_be_reused(client, account):
    upload = _upload(client, account)
    first = _ok(_send(client, account, text="one", userLists=["fans"], mediaFiles=[upload["prefixed_id"]]))
    again = _invalid(_send(client, account, text="two", userLists=["fans"], mediaFiles=[upload["prefixed_id"]]),
                     "mediaFiles")
    assert upload["prefixed_id"] in again[0]
    second = _ok(_send(client, account, text="two", userLists=["fans"], mediaFiles=[upload["vault_id"]]))
    assert _message(client, account, first["id"])["mediaFiles"] == [upload["vault_id"]]
    assert _message(client, account, second["id"])["mediaFiles"] == [upload["vault_id"]]
    twice = _upload(client, account)["prefixed_id"]  # nor twice in one message
    _invalid(_send(client, account, text="hi", userLists=["fans"], mediaFiles=[twice, twice]), "mediaFiles")


# --- recipients ----------------------------------------------------------------------------


def test_unknown_lists_are_named(client, account):
    for field in ("userLists", "excludedLists"):
        for bad in ("vips", "999999", "0", "-3"):
            body = {"text": "hi", "userLists": ["fans"], field: ["tagged", bad]}
            messages = _invalid(_send(client, account, **body), field)
            assert bad in messages[0] and "tagged" not in messages[0]


def test_another_accounts_custom_list_is_unknown(client, account, world):
    other = world.caller()
    theirs = client.post(f"/api/{other.account}/user-lists", headers=other.headers, json={"name": "x"}).json()["data"]
    _invalid(_send(client, account, text="hi", userLists=[theirs["id"]]), "userLists")


def test_user_ids_must_be_fans_of_the_account(client, account, world):
    messages = _invalid(_send(client, account, text="hi", userIds=[1, 777, "888"]), "userIds")
    assert "777" in messages[0] and "888" in messages[0] and "1," not in messages[0]
    other = world.caller()
    client.post(f"/api/{other.account}/fans", headers=other.headers, json=[{"id": 50, "username": "theirs"}])
    assert "50" in _invalid(_send(client, account, text="hi", userIds=[50]), "userIds")[0]


def test_user_ids_must_be_positive_integers(client, account):
    for bad in ("abc", 0, -1, "1.5", 2**63):
        _invalid(_send(client, account, text="hi", userIds=[bad]), "userIds.0")
    _invalid(_send(client, account, text="hi", userIds=[1, "x"]), "userIds.1")


def test_someone_must_receive_it(client, account):
    for body in ({}, {"userLists": []}, {"userIds": []}, {"excludedLists": ["fans"]}):
        _invalid(_send(client, account, text="hi", **body), "userLists")


def test_an_empty_audience_is_refused(client, account):
    assert "empty" in _invalid(_send(client, account, text="hi", userIds=[4]), "userIds")[0]  # fan 4 has expired
    _invalid(_send(client, account, text="hi", userLists=["fans"], excludedLists=["fans"]), "userLists")
    _invalid(_send(client, account, text="hi", userLists=["friends"]), "userLists")  # nobody is a friend


# --- timing --------------------------------------------------------------------------------


def test_scheduled_date_must_be_a_future_date(client, account, clock):
    _invalid(_send(client, account, text="hi", userLists=["fans"], scheduledDate=_in(clock, minutes=-1)),
             "scheduledDate")
    for bad in ("tomorrow", "2025-13-01T00:00:00Z", "", 12.5):
        _invalid(_send(client, account, text="hi", userLists=["fans"], scheduledDate=bad), "scheduledDate")


@pytest.mark.parametrize("as_form", [False, True])
def test_scheduled_date_is_iso_text_never_unix_time(client, account, clock, as_form):
    """The contract's dates are ISO 8601 strings (the SDK sends `str`); a number would be read as Unix time."""
    future = int((clock.now() + timedelta(days=1)).timestamp())
    bad = [str(future), f"{future}.5"] if as_form else [future, future + 0.5, True, str(future), [future]]
    for value in bad:
        if as_form:
            response = client.post(f"/api/{account.account}/mass-messaging", headers=account.headers,
                                   data={"text": "hi", "userLists": "fans", "scheduledDate": value})
        else:
            response = _send(client, account, text="hi", userLists=["fans"], scheduledDate=value)
        assert _invalid(response, "scheduledDate") == [
            "The scheduledDate field is invalid: must be an ISO 8601 date-time string, like 2025-01-01T00:00:00.000Z."
        ], value
    assert _queue(client, account)[0] == []  # nothing was queued
    iso = _ok(_send(client, account, text="hi", userLists=["fans"], scheduledDate="2999-01-01T00:00:00.000Z"))
    assert iso["date"] == "2999-01-01T00:00:00+00:00"


def test_scheduled_and_saved_for_later_cannot_both_be_asked(client, account, clock):
    _invalid(_send(client, account, text="hi", userLists=["fans"], scheduledDate=_in(clock, hours=1),
                   saveForLater=True), "saveForLater")
    _invalid(_send(client, account, text="hi", userLists=["fans"], saveForLater="sometimes"), "saveForLater")


def test_subscribed_within_last_days_is_1_to_30(client, account):
    for days in (0, 31, -1, "x", 1.5):
        _invalid(_send(client, account, text="hi", subscribedWithinLastDays=days), "subscribedWithinLastDays")


def test_subscribed_within_last_days_is_only_for_sending_now(client, account, clock):
    _invalid(_send(client, account, text="hi", subscribedWithinLastDays=7, scheduledDate=_in(clock, hours=1)),
             "subscribedWithinLastDays")
    _invalid(_send(client, account, text="hi", subscribedWithinLastDays=7, saveForLater=True),
             "subscribedWithinLastDays")


# --- banned words --------------------------------------------------------------------------


def test_block_banned_words_blocks_exactly_its_tiers(client, account):
    samples = {"strict_ban": "schoolgirl", "risky": "PayPal", "replace_soften": "hypnosis"}
    assert set(BLOCKED_BY["strict_ban"]) == set(samples)
    for block in BLOCKED_BY:
        for tier, word in samples.items():
            assert word.lower() in BANNED.words[tier]
            response = _send(client, account, text=f"<p>Tip me on {word} tonight</p>", userLists=["fans"],
                             blockBannedWords=block)
            if tier in BLOCKED_BY[block]:
                assert word.lower() in _invalid(response, "text")[0]
            else:
                assert response.status_code == 200, (block, tier, response.text)
    # without blockBannedWords nothing is screened
    _ok(_send(client, account, text="schoolgirl PayPal hypnosis", userLists=["fans"]))


def test_the_422_lists_every_banned_word_found(client, account):
    messages = _invalid(_send(client, account, text="Venmo or Bitcoin, no kids", userLists=["fans"],
                              blockBannedWords="strict_ban"), "text")
    assert all(w in messages[0] for w in ("venmo", "bitcoin", "kids"))


def test_banned_words_match_whole_words_in_the_plain_text(client, account):
    _ok(_send(client, account, text="No kidding, Skipper", userLists=["fans"], blockBannedWords="strict_ban"))
    spaced = _invalid(_send(client, account, text="<p>Cash \t  App</p>", userLists=["fans"],
                            blockBannedWords="risky"), "text")
    assert "cash app" in spaced[0]


def test_an_unknown_tier_is_refused(client, account):
    for tier in ("lenient", "STRICT_BAN", "", 1, True):
        _invalid(_send(client, account, text="hi", userLists=["fans"], blockBannedWords=tier), "blockBannedWords")


# --- a refused send costs nothing and leaves nothing behind --------------------------------


def test_a_refused_send_costs_nothing_and_leaves_nothing(client, account):
    uploaded = _upload(client, account)
    upload = uploaded["prefixed_id"]
    queue, balance = _queue(client, account)
    assert queue == []
    failures = [
        (dict(text="hi", userIds=[4], mediaFiles=[upload]), "userIds"),  # empty audience, after the media
        (dict(text="hi", userLists=["fans"], mediaFiles=[upload], previews=[3]), "previews"),
        (dict(text="hi", userLists=["fans"], mediaFiles=[upload], price=250), "price"),
    ]
    for body, field in failures:
        response = _send(client, account, **body)
        _invalid(response, field)
        assert response.json()["_meta"]["_credits"]["balance"] == balance
    queue, after = _queue(client, account)
    assert queue == [] and after == balance - 1  # only the read itself
    sent = _ok(_send(client, account, text="hi", userLists=["fans"], mediaFiles=[upload]))
    assert _message(client, account, sent["id"])["mediaFiles"] == [uploaded["vault_id"]]


# --- good sends ----------------------------------------------------------------------------


def test_a_free_send_is_queued_then_delivered_to_active_fans(client, account, app, clock):
    response = _send(client, account, text="<b>Hello</b> &amp; welcome", userLists=["fans", account.vip],
                     userIds=[1])
    body = response.json()
    sent = _ok(response)
    assert set(sent) >= QUEUE_ITEM_KEYS
    assert isinstance(sent["id"], int) and sent["total"] == -1 and sent["isDone"] is False
    assert sent["canUnsend"] is True and sent["hasError"] is False and sent["isCanceled"] is False
    assert body["_meta"]["_credits"]["used"] == 1 and body["_meta"]["_credits"]["note"] == "Always"
    queue, _ = _queue(client, account)
    assert [q["id"] for q in queue] == [sent["id"]]

    DeliveryWorker(state_of(app).engine, clock, WorkerConfig(chunk_size=2)).run_until_idle()
    message = _message(client, account, sent["id"])
    assert (message["text"], message["rawText"]) == ("<b>Hello</b> &amp; welcome", "Hello & welcome")
    assert message["isFree"] is True and message["price"] is None
    assert message["sentCount"] == 3 and message["total"] == 3 and message["isDone"] is True  # fans 1-3, once each
    assert message["userLists"] == ["fans", str(account.vip)] and message["userIds"] == [1]


def test_excluded_lists_and_subscribed_within_narrow_the_audience(client, account, app, clock):
    excluded = _ok(_send(client, account, text="not VIP", userLists=["fans"], excludedLists=[account.vip]))
    recent = _ok(_send(client, account, text="welcome", subscribedWithinLastDays=3))  # no lists: recent fans
    DeliveryWorker(state_of(app).engine, clock, WorkerConfig(chunk_size=10)).run_until_idle()
    assert _message(client, account, excluded["id"])["sentCount"] == 2  # fans 2 and 3
    message = _message(client, account, recent["id"])
    since = clock.now().replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=2)
    assert message["subscribedSince"] == since.isoformat() and message["userLists"] == ["fans"]
    assert message["sentCount"] == 2  # fans 2 (two days ago) and 3 (today); fan 1 joined 10 days ago


def test_a_paid_send_keeps_its_price(client, account):
    upload = _upload(client, account)
    media = [upload["prefixed_id"]]  # the upload id once, its vault id after that
    for price, shown in ((9.99, "9.99"), ("29.99", "29.99"), (3, "3.00"), ("200.00", "200.00"), (0, None)):
        sent = _ok(_send(client, account, text="pay", userLists=["fans"], price=price, mediaFiles=media))
        message = _message(client, account, sent["id"])
        assert (message["price"], message["isFree"]) == (shown, shown is None)
        assert message["mediaFiles"] == [upload["vault_id"]] and message["previews"] == []
        media = [upload["vault_id"]]


def test_previews_by_index_and_by_id(client, account):
    a, b, c = _upload(client, account), _upload(client, account), _upload(client, account)
    by_index = _ok(_send(client, account, text="x", userLists=["fans"], price=5,
                         mediaFiles=[a["prefixed_id"], b["vault_id"]], previews=[1]))
    message = _message(client, account, by_index["id"])
    assert message["mediaFiles"] == [a["vault_id"], b["vault_id"]] and message["previews"] == [b["vault_id"]]
    by_id = _ok(_send(client, account, text="y", userLists=["fans"], price="12.50",
                      mediaFiles=[c["prefixed_id"], str(a["vault_id"])], previews=[c["prefixed_id"], a["vault_id"]]))
    message = _message(client, account, by_id["id"])
    assert message["mediaFiles"] == [c["vault_id"], a["vault_id"]] and message["previews"] == [c["vault_id"],
                                                                                               a["vault_id"]]
    assert message["price"] == "12.50"


def test_release_form_tags_accept_a_comma_string(client, account):
    sent = _ok(_send(client, account, text="collab", userLists=["fans"], rfTag="11, 22,33", rfGuest=[44]))
    forms = _message(client, account, sent["id"])["releaseForms"]
    assert forms == [{"type": "rfGuest", "ids": ["44"]}, {"type": "rfTag", "ids": ["11", "22", "33"]}]


def test_scheduled_and_saved_sends_are_accepted(client, account, clock):
    at = clock.now().replace(microsecond=0) + timedelta(days=1)
    scheduled = _ok(_send(client, account, text="later", userLists=["fans"], scheduledDate=_in(clock, days=1)))
    message = _message(client, account, scheduled["id"])
    assert message["scheduledDate"] == at.isoformat() and message["isSavedForLater"] is False
    offset = _ok(_send(client, account, text="tz", userLists=["fans"], scheduledDate="2999-01-01T02:00:00+02:00"))
    assert _message(client, account, offset["id"])["scheduledDate"] == "2999-01-01T00:00:00+00:00"
    naive = _ok(_send(client, account, text="utc", userLists=["fans"], scheduledDate="2999-01-01T00:00:00"))
    assert _message(client, account, naive["id"])["scheduledDate"] == "2999-01-01T00:00:00+00:00"
    saved = _ok(_send(client, account, text="someday", userLists=["fans"], saveForLater=True))
    assert _message(client, account, saved["id"])["isSavedForLater"] is True


def _noise_png(side: int) -> bytes:
    """A real PNG that does not compress: about side*side*3 bytes."""
    out = io.BytesIO()
    Image.frombytes("RGB", (side, side), os.urandom(side * side * 3)).save(out, "PNG")
    return out.getvalue()


def test_multipart_send_with_a_direct_file_files_it_in_the_vault_and_charges_for_it(client, account):
    content = _noise_png(700)
    assert 1_000_000 < len(content) < 2_000_000
    _, balance = _queue(client, account)
    response = client.post(
        f"/api/{account.account}/mass-messaging", headers=account.headers,
        data={"text": "fresh pic", "price": "7.50", "userLists[]": ["fans", str(account.vip)], "previews": "0"},
        files=[("mediaFiles[]", ("fresh.png", content, "image/png"))],
    )
    sent = _ok(response)
    charged = 1 + 3 * math.ceil(len(content) / 1_000_000)
    assert charged == 7
    credits = response.json()["_meta"]["_credits"]
    assert credits["balance"] == balance - charged

    vault = client.get(f"/api/{account.account}/media/vault", headers=account.headers).json()["data"]["list"]
    assert len(vault) == 1 and vault[0]["type"] == "photo"
    assert vault[0]["files"]["full"]["size"] == len(content)
    message = _message(client, account, sent["id"])
    assert message["mediaFiles"] == [vault[0]["id"]] and message["previews"] == [vault[0]["id"]]
    assert message["price"] == "7.50" and message["userLists"] == ["fans", str(account.vip)]
    assert credits["used"] == charged  # _meta tells what this call cost, uploads included


def test_multipart_send_refused_charges_nothing_and_files_nothing(client, account):
    _, balance = _queue(client, account)
    response = client.post(f"/api/{account.account}/mass-messaging", headers=account.headers,
                           data={"text": "x", "price": "500", "userLists[]": "fans"},
                           files=[("mediaFiles[]", ("a.png", media_files.png(64, 64), "image/png"))])
    _invalid(response, "price")
    vault = client.get(f"/api/{account.account}/media/vault", headers=account.headers).json()
    assert vault["data"]["list"] == [] and vault["_meta"]["_credits"]["balance"] == balance - 1
