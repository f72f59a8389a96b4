"""`mass_messaging.audience_size`: a draft's audience counted before sending is the one the worker
then delivers to, for system, custom and smart lists, exclusions and single fans."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest

from massdm.api.state import state_of
from massdm.errors import ValidationFailed
from massdm.services.mass_messaging import AudienceSize, MessageDraft, audience_size
from massdm.store.db import transaction

FLAGS = ("autoRenew", "following", "muted", "tagged", "friend")


def _api(client, caller, method: str, path: str, **kwargs):
    answer = client.request(method, f"/api/{caller.account}{path}", headers=caller.headers, **kwargs)
    assert answer.status_code == 200, answer.text
    return answer.json()["data"]


@pytest.fixture
def varied(client, caller, clock):
    """40 fans of every kind (a third expired), two custom lists of random members, a smart list."""
    rng = random.Random(17)
    now = clock.now()
    fans = []
    for n in range(1, 41):
        fan = {"id": n, "username": f"fan{n}", "subscribedAt": (now - timedelta(hours=rng.randint(1, 900))).isoformat(),
               "tipsSumm": rng.choice([0, 10, 80]), **{flag: rng.random() < 0.5 for flag in FLAGS}}
        if n % 3 == 0:
            fan["expiresAt"] = (now - timedelta(days=1)).isoformat()
        fans.append(fan)
    _api(client, caller, "POST", "/fans", json=fans)
    lists = []
    for name in ("One", "Two"):
        made = _api(client, caller, "POST", "/user-lists", json={"name": name})
        _api(client, caller, "POST", f"/user-lists/{made['id']}/users", json={"ids": rng.sample(range(1, 41), 15)})
        lists.append(made["id"])
    lists.append(_api(client, caller, "POST", "/user-lists", json={"name": "Tippers", "filter": {"tips": 50}})["id"])
    caller.lists = lists
    return caller


def _size(app, account: str, **draft) -> AudienceSize:
    state = state_of(app)
    with transaction(state.engine) as connection:
        return audience_size(connection, account, MessageDraft(text="", **draft), state.clock.now())


def _delivered(app, client, caller, **body) -> tuple[int, int]:
    """Send through the API, let the worker deliver: (the message's total, the fans it reached)."""
    message_id = _api(client, caller, "POST", "/mass-messaging", json={"text": "hi", **body})["id"]
    state_of(app).worker.run_until_idle()
    queue = _api(client, caller, "GET", f"/mass-messaging/{message_id}")["queue"]
    assert queue["isDone"] is True
    return queue["total"], queue["sentCount"]


def test_the_size_counted_before_sending_is_what_the_worker_delivers(app, client, varied):
    one, two, tippers = (str(i) for i in varied.lists)
    audiences = [
        {"user_lists": ["fans"]},
        {"user_lists": [one]},
        {"user_lists": [one, two], "excluded_lists": ["rebill_off"]},
        {"user_lists": ["fans"], "excluded_lists": [one, "muted"]},
        {"user_lists": [tippers], "excluded_lists": [two]},
        {"user_lists": ["following", "tagged"], "excluded_lists": [tippers], "user_ids": [1, 2, 3]},
        {"user_ids": [3, 4, 5, 6, 7]},
        {"user_lists": ["recent", "friends"], "user_ids": [40]},
    ]
    for draft in audiences:
        counted = _size(app, varied.account, **draft)
        body = {"userLists": draft.get("user_lists"), "excludedLists": draft.get("excluded_lists"),
                "userIds": draft.get("user_ids")}
        total, sent = _delivered(app, client, varied, **{k: v for k, v in body.items() if v})
        assert (counted.size, counted.can_receive) == (total, sent), draft
        assert counted.can_receive > 0, draft  # each case reaches someone, or the send would be refused


def test_unknown_lists_and_fans_are_refused_as_a_send_refuses_them(app, varied):
    with pytest.raises(ValidationFailed) as lists:
        _size(app, varied.account, user_lists=["fans", "nope", "999999"])
    assert lists.value.errors == {"userLists": ["Unknown user lists: nope, 999999."]}
    with pytest.raises(ValidationFailed) as fans:
        _size(app, varied.account, user_ids=[1, 404])
    assert fans.value.errors == {"userIds": ["These user ids are not fans of this account: 404."]}


def test_nothing_chosen_is_an_empty_audience(app, varied):
    assert _size(app, varied.account) == AudienceSize(0, 0)
