"""The compose page over the in-process app: the form becomes the message the API would create, the
audience size is what the worker delivers to, and refusals carry the API's own messages."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest

from massdm.api.state import state_of
from tests import media_files
from tests.conftest import Caller

_SUMMARY = re.compile(r'<article class="error-summary" role="alert">.*?<ul>(.*?)</ul>', re.S)
_ITEM = re.compile(r"<li>(.*?)</li>", re.S)
_AUDIENCE = re.compile(r'data-testid="audience-size">([\d,]+)<')


def _api(client, caller: Caller, method: str, path: str, **kwargs):
    return client.request(method, f"/api/{caller.account}{path}", headers=caller.headers, **kwargs)


@pytest.fixture
def audience(client, caller, clock):
    """Fans 1-6 active, 7 expired. List A = [1, 2, 3, 4, 7], list B = [3, 4, 5]: A less B is 1, 2 and 7,
    of whom 1 and 2 can receive; a photo in the vault."""
    now = clock.now()
    fans = [{"id": n, "username": f"fan{n}", "subscribedAt": (now - timedelta(days=n)).isoformat()}
            for n in range(1, 7)]
    fans.append({"id": 7, "username": "gone", "subscribedAt": (now - timedelta(days=60)).isoformat(),
                 "expiresAt": (now - timedelta(days=1)).isoformat()})
    assert _api(client, caller, "POST", "/fans", json=fans).status_code == 200
    lists = {}
    for name, members in (("Alpha", [1, 2, 3, 4, 7]), ("Beta", [3, 4, 5])):
        made = _api(client, caller, "POST", "/user-lists", json={"name": name}).json()["data"]
        assert _api(client, caller, "POST", f"/user-lists/{made['id']}/users", json={"ids": members}).status_code == 200
        lists[name] = str(made["id"])
    upload = _api(client, caller, "POST", "/media/upload", files={"file": ("pic.png", media_files.png(64, 64))})
    caller.lists = lists
    caller.photo = str(upload.json()["vault_id"])
    return caller


def _compose(console, data: dict, *, file: tuple[str, bytes] | None = None, csrf=True):
    """Post the compose form as a browser does: multipart, with the file input's part even when empty."""
    files = {"upload": file or ("", b"", "application/octet-stream")}
    return console.post(f"/console/accounts/{console.caller.account}/compose", data, files=files, csrf=csrf)


def _message(client, caller: Caller, message_id: int) -> dict:
    answer = _api(client, caller, "GET", f"/mass-messaging/{message_id}")
    assert answer.status_code == 200, answer.text
    return answer.json()["data"]["queue"]


def _sent_id(console, answer) -> int:
    assert answer.status_code == 303, answer.text
    prefix = f"/console/accounts/{console.caller.account}/campaigns/"
    location = answer.headers["location"]
    assert location.startswith(prefix)
    return int(location.removeprefix(prefix))


def _queue(client, caller: Caller) -> list[dict]:
    return _api(client, caller, "GET", "/mass-messaging").json()["data"]


def _summary(page: str) -> list[str]:
    found = _SUMMARY.search(page)
    assert found, "the page shows no error summary"
    return [html.unescape(m) for m in _ITEM.findall(found.group(1))]


def _audience_size(page: str) -> int:
    found = _AUDIENCE.search(page)
    assert found, page
    return int(found.group(1).replace(",", ""))


# --- the page ------------------------------------------------------------------------------------


def test_the_page_offers_the_lists_with_their_counts_the_vault_and_says_times_are_utc(console, audience):
    page = console.get(f"/console/accounts/{audience.account}/compose")
    assert page.status_code == 200
    text = page.text
    for name, count in (("Alpha", 5), ("Beta", 3), ("Fans", 6)):
        assert re.search(rf"<span>{name} <small>\({count}\)</small></span>", text), name
    assert text.count(f'name="userLists" value="{audience.lists["Alpha"]}"') == 1
    assert text.count(f'name="excludedLists" value="{audience.lists["Alpha"]}"') == 1
    assert f'name="mediaFiles" value="{audience.photo}"' in text and f"Attach #{audience.photo}" in text
    assert "Schedule for <small>(UTC)</small>" in text and "Times are in UTC" in text
    assert "choose lists or fans" in text  # no audience counted before anything is chosen
    assert audience.api_key not in text


# --- what is sent --------------------------------------------------------------------------------


def test_the_message_sent_is_what_the_form_said(console, client, audience):
    balance = _queue_balance(client, audience)
    answer = _compose(console, {
        "text": "  Hello <b>you</b>  ", "userLists": [audience.lists["Alpha"], "fans"],
        "excludedLists": [audience.lists["Beta"]], "userIds": "5, 6 5", "price": "12.50",
        "mediaFiles": [audience.photo], "previews": [audience.photo], "action": "send",
    })
    assert _queue_balance(client, audience) == balance - 1  # this GET's credit: the console's send was free
    message = _message(client, audience, _sent_id(console, answer))
    assert message["text"] == "  Hello <b>you</b>  "  # as typed, as the API keeps it
    assert message["userLists"] == [audience.lists["Alpha"], "fans"]
    assert message["excludedLists"] == [audience.lists["Beta"]]
    assert message["userIds"] == [5, 6]
    assert message["price"] == "12.50"
    assert message["mediaFiles"] == [int(audience.photo)] and message["previews"] == [int(audience.photo)]
    assert message["scheduledDate"] is None and message["isSavedForLater"] is False


def _queue_balance(client, caller: Caller) -> int:
    return _api(client, caller, "GET", "/mass-messaging").json()["_meta"]["_credits"]["balance"]


def test_a_scheduled_message_keeps_its_utc_time_and_one_saved_for_later_is_saved(console, client, audience, clock):
    at = (clock.now() + timedelta(days=2)).replace(second=0, microsecond=0)
    scheduled = _compose(console, {"text": "Later", "userLists": ["fans"],
                                   "scheduledDate": at.strftime("%Y-%m-%dT%H:%M"), "action": "send"})
    message = _message(client, audience, _sent_id(console, scheduled))
    assert message["scheduledDate"] == at.isoformat(timespec="seconds")
    assert message["isSavedForLater"] is False

    saved = _compose(console, {"text": "Some day", "userIds": "1", "saveForLater": "true", "action": "send"})
    message = _message(client, audience, _sent_id(console, saved))
    assert message["isSavedForLater"] is True and message["scheduledDate"] is None
    assert message["userIds"] == [1] and message["userLists"] == []


def test_a_new_upload_is_filed_in_the_vault_and_attached_as_a_preview(console, client, audience):
    answer = _compose(console, {"text": "New pic", "userLists": ["fans"], "price": "5", "uploadPreview": "true",
                                "action": "send"}, file=("new.png", media_files.png(32, 32)))
    message = _message(client, audience, _sent_id(console, answer))
    assert len(message["mediaFiles"]) == 1 and message["previews"] == message["mediaFiles"]
    vault = _api(client, audience, "GET", "/media/vault").json()["data"]["list"]
    assert message["mediaFiles"][0] in {item["id"] for item in vault}
    assert message["price"] == "5.00"


def test_a_refused_send_with_an_upload_leaves_no_file_and_no_vault_item(console, client, audience, app):
    store = state_of(app).media_store
    before = set(store.files())
    vault_before = _api(client, audience, "GET", "/media/vault").json()["data"]["list"]
    answer = _compose(console, {"text": "hi", "userLists": [audience.lists["Beta"]],
                                "excludedLists": [audience.lists["Beta"]], "action": "send"},
                      file=("new.png", media_files.png(32, 32)))
    assert answer.status_code == 422
    assert _summary(answer.text) == ["The audience is empty: nobody in these lists and ids can receive the "
                                     "message now."]
    assert set(store.files()) == before
    assert _api(client, audience, "GET", "/media/vault").json()["data"]["list"] == vault_before
    assert _queue(client, audience) == []


# --- the audience --------------------------------------------------------------------------------


def test_the_audience_shown_is_whom_the_worker_delivers_to(console, client, audience, app):
    chosen = {"userLists": [audience.lists["Alpha"]], "excludedLists": [audience.lists["Beta"]], "userIds": "6"}
    live = console.post(f"/console/accounts/{audience.account}/compose/audience", chosen, csrf=None,
                        headers={"X-CSRF-Token": console.csrf, "HX-Request": "true"})
    assert live.status_code == 200
    assert "<html" not in live.text  # the fragment alone
    assert _audience_size(live.text) == 3  # 1, 2 and 6; 7's subscription has ended
    assert "1 more in these lists cannot receive it" in live.text

    preview = _compose(console, {"text": "Hi", **chosen, "action": "preview"})
    assert preview.status_code == 200
    assert _audience_size(preview.text) == 3
    assert "Hi</textarea>" in preview.text and 'value="6"' in preview.text  # the form is kept
    assert _queue(client, audience) == []  # a preview sends nothing

    message_id = _sent_id(console, _compose(console, {"text": "Hi", **chosen, "action": "send"}))
    state_of(app).worker.run_until_idle()
    message = _message(client, audience, message_id)
    assert message["isDone"] is True
    assert message["sentCount"] == 3  # whom the page said would receive it
    assert message["total"] == 4  # and the one more it said could not


def test_the_audience_of_unknown_fans_says_so_as_the_api_does(console, audience):
    live = console.post(f"/console/accounts/{audience.account}/compose/audience", {"userIds": "1 999"}, csrf=None,
                        headers={"X-CSRF-Token": console.csrf})
    assert live.status_code == 200
    assert "These user ids are not fans of this account: 999." in live.text


# --- refusals ------------------------------------------------------------------------------------


def _cases(audience, clock) -> list[tuple[dict, dict]]:
    """(the console's form, the API's JSON body for the same input)."""
    past = (clock.now() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    future = (clock.now() + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    alpha, beta, photo = audience.lists["Alpha"], audience.lists["Beta"], audience.photo
    return [
        ({"text": "", "userLists": ["fans"]}, {"text": "", "userLists": ["fans"]}),
        ({"text": "   ", "userLists": ["fans"]}, {"text": "   ", "userLists": ["fans"]}),
        ({"text": "x" * 20_001, "userLists": ["fans"]}, {"text": "x" * 20_001, "userLists": ["fans"]}),
        ({"text": "hi", "userIds": "1, abc"}, {"text": "hi", "userIds": ["1", "abc"]}),
        ({"text": "hi", "userIds": "1 999"}, {"text": "hi", "userIds": [1, 999]}),
        ({"text": "hi"}, {"text": "hi"}),
        ({"text": "hi", "userLists": ["fans"], "price": "2.5", "mediaFiles": [photo]},
         {"text": "hi", "userLists": ["fans"], "price": "2.5", "mediaFiles": [photo]}),
        ({"text": "hi", "userLists": ["fans"], "price": "3.999", "mediaFiles": [photo]},
         {"text": "hi", "userLists": ["fans"], "price": 3.999, "mediaFiles": [int(photo)]}),
        ({"text": "hi", "userLists": ["fans"], "price": "abc"}, {"text": "hi", "userLists": ["fans"], "price": "abc"}),
        ({"text": "hi", "userLists": ["fans"], "price": "10"}, {"text": "hi", "userLists": ["fans"], "price": 10}),
        ({"text": "hi", "userLists": ["fans"], "previews": [photo]}, {"text": "hi", "userLists": ["fans"],
                                                                       "previews": [int(photo)]}),
        ({"text": "hi", "userLists": ["fans"], "scheduledDate": past},
         {"text": "hi", "userLists": ["fans"], "scheduledDate": past}),
        ({"text": "hi", "userLists": ["fans"], "scheduledDate": future, "saveForLater": "true"},
         {"text": "hi", "userLists": ["fans"], "scheduledDate": future, "saveForLater": True}),
        ({"text": "hi", "userLists": ["fans", "nope"]}, {"text": "hi", "userLists": ["fans", "nope"]}),
        ({"text": "hi", "userLists": [alpha], "excludedLists": [alpha]},
         {"text": "hi", "userLists": [int(alpha)], "excludedLists": [int(alpha)]}),
        ({"text": "hi", "userLists": [beta], "mediaFiles": ["123456"]},
         {"text": "hi", "userLists": [beta], "mediaFiles": [123456]}),
    ]


def test_refusals_carry_the_apis_messages_and_keep_what_was_typed(console, client, audience, clock):
    for form, body in _cases(audience, clock):
        api = _api(client, audience, "POST", "/mass-messaging", json=body)
        assert api.status_code == 422, (body, api.text)
        expected = [message for messages in api.json()["errors"].values() for message in messages]
        page = _compose(console, {**form, "action": "send"})
        assert page.status_code == 422, (form, page.text[:500])
        assert _summary(page.text) == expected, form
        for name in api.json()["errors"]:  # and each beside its field
            assert f'id="{name.split(".")[0]}-error"' in page.text, name
        assert f">{html.escape(form['text'], quote=False)}</textarea>" in page.text  # kept as typed
        if "userIds" in form:
            assert f'value="{form["userIds"]}"' in page.text
        if "price" in form:
            assert f'name="price" type="number" min="0" max="200" step="0.01" inputmode="decimal" ' \
                   f'value="{form["price"]}"' in page.text
        offered = {"fans", *audience.lists.values()}
        for field in ("userLists", "excludedLists"):
            for chosen in set(form.get(field, [])) & offered:
                assert f'name="{field}" value="{chosen}" checked' in page.text, (field, chosen)
    assert _queue(client, audience) == []


def test_a_file_that_is_no_media_is_refused_as_the_api_refuses_it(console, client, audience):
    junk = b"this is not a picture at all" * 10
    api = client.post(f"/api/{audience.account}/mass-messaging", headers=audience.headers,
                      data={"text": "hi", "userLists": "fans"}, files={"mediaFiles[]": ("junk.png", junk)})
    assert api.status_code == 422, api.text
    page = _compose(console, {"text": "hi", "userLists": ["fans"], "action": "send"}, file=("junk.png", junk))
    assert page.status_code == 422
    assert _summary(page.text) == [m for ms in api.json()["errors"].values() for m in ms]
    assert _queue(client, audience) == []


# --- who may post ----------------------------------------------------------------------------------


@pytest.mark.parametrize("csrf", [None, "forged"])
def test_without_the_csrf_token_nothing_is_sent_or_uploaded(console, client, audience, app, csrf):
    store = state_of(app).media_store
    before = set(store.files())
    answer = _compose(console, {"text": "hi", "userLists": ["fans"], "action": "send"},
                      file=("new.png", media_files.png(32, 32)), csrf=csrf)
    assert answer.status_code == 403
    plain = _compose(console, {"text": "hi", "userLists": ["fans"], "action": "send"}, csrf=csrf)
    assert plain.status_code == 403
    assert console.post(f"/console/accounts/{audience.account}/compose/audience", {"userLists": ["fans"]},
                        csrf=csrf).status_code == 403
    assert _queue(client, audience) == []
    assert set(store.files()) == before


def test_a_limited_key_gets_404_for_another_accounts_compose(console_for, client, world):
    team = world.team()
    mine, other = world.account(team, "Mine"), world.account(team, "Other")
    limited = console_for(Caller(world.key(team, [mine]), mine, team))
    assert limited.get(f"/console/accounts/{mine}/compose").status_code == 200
    assert limited.get(f"/console/accounts/{other}/compose").status_code == 404
    refused = limited.post(f"/console/accounts/{other}/compose", {"text": "hi", "userLists": ["fans"]},
                           files={"upload": ("new.png", media_files.png(32, 32))})
    assert refused.status_code == 404
    assert limited.post(f"/console/accounts/{other}/compose/audience", {"userLists": ["fans"]}).status_code == 404
    owner = Caller(world.key(team), other, team)
    assert _queue(client, owner) == []


# --- once ----------------------------------------------------------------------------------------


def _submission(page: str) -> str:
    found = re.search(r'name="submission" value="([^"]+)"', page)
    assert found, "the compose form carries no submission token"
    return found.group(1)


def test_the_same_form_sent_twice_sends_one_message_and_shows_it_both_times(console, client, audience):
    token = _submission(console.get(f"/console/accounts/{audience.account}/compose").text)
    form = {"text": "Only once, please", "userLists": ["fans"], "submission": token}
    first, again = _compose(console, form), _compose(console, form)  # a double click, or back and Send
    assert first.headers["location"] == again.headers["location"]
    assert len(_queue(client, audience)) == 1
    assert _message(client, audience, _sent_id(console, first))["text"] == "Only once, please"
    other = _compose(console, {**form, "submission": _submission(console.get(
        f"/console/accounts/{audience.account}/compose").text)})  # a new form: a new message
    assert other.headers["location"] != first.headers["location"] and len(_queue(client, audience)) == 2


def test_a_refused_form_keeps_its_token_so_its_corrected_send_is_the_first(console, client, audience):
    token = _submission(console.get(f"/console/accounts/{audience.account}/compose").text)
    refused = _compose(console, {"text": "", "userLists": ["fans"], "submission": token})
    assert refused.status_code == 422 and _submission(refused.text) == token  # nothing was kept of it
    sent = _compose(console, {"text": "Fixed", "userLists": ["fans"], "submission": token})
    assert _message(client, audience, _sent_id(console, sent))["text"] == "Fixed"


def test_simultaneous_submissions_of_one_form_send_one_message(console, client, audience):
    from concurrent.futures import ThreadPoolExecutor

    token = _submission(console.get(f"/console/accounts/{audience.account}/compose").text)
    form = {"text": "Clicked five times", "userLists": ["fans"], "submission": token}
    with ThreadPoolExecutor(5) as pool:
        answers = list(pool.map(lambda _: _compose(console, form), range(5)))
    assert {a.status_code for a in answers} == {303}
    assert len({a.headers["location"] for a in answers}) == 1
    assert len(_queue(client, audience)) == 1
