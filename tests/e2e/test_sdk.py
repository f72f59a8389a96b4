"""The official SDK (`pip install onlyfans`), pointed at a running `massdm serve`, parses what we say."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from onlyfansapi import OnlyFansAPI


@pytest.fixture(scope="module")
def sdk_world(server):
    team = server.world.team()
    account = server.world.account(team, "SDK Creator")
    key = server.world.key(team, name="sdk key")
    now = datetime.now(UTC)
    fans = [
        {"id": 501, "username": "sdk_alice", "name": "Alice", "subscribedAt": (now - timedelta(days=2)).isoformat()},
        {"id": 502, "username": "sdk_bob", "name": "Bob", "subscribedAt": (now - timedelta(days=1)).isoformat(),
         "expiresAt": (now - timedelta(hours=1)).isoformat()},
        {"id": 503, "username": "sdk_carol", "name": "Carol", "subscribedAt": now.isoformat(), "autoRenew": False},
    ]
    response = httpx.post(f"{server.base_url}/api/{account}/fans", json=fans,
                          headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 200
    client = OnlyFansAPI(api_key=key, base_url=server.base_url, max_retries=0)
    return client, account, team


def test_whoami_and_accounts(sdk_world):
    client, account, team = sdk_world
    me = client.whoami.retrieve()
    assert me.api_key.name == "sdk key"
    assert me.team.slug == team.slug
    accounts = client.accounts.list()
    assert [a.id for a in accounts] == [account]
    assert accounts[0].display_name == "SDK Creator"


def test_user_lists_round_trip(sdk_world):
    client, account, _ = sdk_world
    created = client.user_lists.create(account, name="SDK VIP")
    list_id = str(created.data.id)
    assert created.data.name == "SDK VIP" and created.data.users_count == 0
    assert created.api_meta.api_credits.used == 1

    listed = client.user_lists.list(account, limit=50)
    assert {x.id for x in listed.data} >= {"fans", "rebill_off", list_id}
    assert next(x for x in listed.data if x.id == "fans").users_count == 2  # alice and carol are active

    added = client.user_lists.users.add(list_id, account=account, ids=["501", "503"])
    assert getattr(added.data, list_id) == [501, 503]

    members = client.user_lists.users.list(list_id, account=account, limit="10")
    assert sorted(u.username for u in members.data.list) == ["sdk_alice", "sdk_carol"]
    assert members.data.has_more is False

    retrieved = client.user_lists.retrieve(list_id, account=account)
    assert retrieved.data.users_count == 2
    assert sorted(u.id for u in retrieved.data.users) == [501, 503]

    removed = client.user_lists.users.remove("501", account=account, user_list_id=list_id)
    assert removed.data.user_state.has_user is False
    assert removed.data.list.users_count == 1

    updated = client.user_lists.update(list_id, account=account, name="SDK Top", is_pinned_to_feed=True)
    assert updated.data.name == "SDK Top" and updated.data.is_pinned_to_feed is True

    cleared = client.user_lists.users.clear(list_id, account=account)
    assert cleared.data.users_count == 0

    deleted = client.user_lists.delete(list_id, account=account)
    assert deleted.data.success is True
    assert list_id not in {x.id for x in client.user_lists.list(account, limit=50).data}


def test_system_list_members_through_the_sdk(sdk_world):
    client, account, _ = sdk_world
    renew_off = client.user_lists.users.list("rebill_off", account=account)
    assert [u.username for u in renew_off.data.list] == ["sdk_carol"]


def test_fans_list_all_active_expired(sdk_world):
    client, account, _ = sdk_world
    everyone = client.fans.list_all(account, limit=2)
    assert [u.username for u in everyone.data.list] == ["sdk_carol", "sdk_bob"]
    assert everyone.data.has_more is True
    assert "offset=2" in everyone.api_pagination.next_page
    assert [u.username for u in client.fans.list_active(account).data.list] == ["sdk_carol", "sdk_alice"]
    expired = client.fans.list_expired(account).data.list
    assert [u.username for u in expired] == ["sdk_bob"]
    assert expired[0].subscribed_on is False
    searched = client.fans.list_all(account, query="ALICE").data.list
    assert [(u.id, u.name) for u in searched] == [(501, "Alice")]


def test_fans_targeting_through_the_sdk(sdk_world, server):
    """filter and type exactly as the SDK sends them (filter[total_spent]=…), spend read back from its types."""
    client, _, team = sdk_world
    account = server.world.account(team, "SDK Targeting")
    now = datetime.now(UTC)
    fans = [
        {"id": 601, "username": "whale", "subscribedAt": (now - timedelta(days=200)).isoformat(), "tipsSumm": 300,
         "subscribesSumm": 59.94},
        {"id": 602, "username": "lapsed", "subscribedAt": (now - timedelta(days=100)).isoformat(),
         "expiresAt": (now - timedelta(days=20)).isoformat(), "tipsSumm": 15},
        {"id": 603, "username": "newcomer", "subscribedAt": (now - timedelta(days=3)).isoformat(), "online": True},
    ]
    response = httpx.post(f"{server.base_url}/api/{account}/fans", json=fans,
                          headers={"Authorization": f"Bearer {client.api_key}"})
    assert response.status_code == 200, response.text

    def names(page) -> list[str]:
        return [u.username for u in page.data.list]

    assert names(client.fans.list_all(account, filter={"total_spent": 100})) == ["whale"]
    never = client.fans.list_all(account, filter={"max_total_spent": 0})
    assert names(never) == ["newcomer"]
    assert never.data.model_extra["_source"]["is_complete"] is True
    assert names(client.fans.list_all(account, filter={"tips": 10, "duration": 2})) == ["lapsed", "whale"]
    assert names(client.fans.list_active(account, filter={"online": 1})) == ["newcomer"]
    assert names(client.fans.list_active(account, filter={"online": 0})) == ["whale"]
    assert names(client.fans.list_all(account, type="expired", filter={"max_total_spent": 20.5})) == ["lapsed"]
    assert names(client.fans.list_expired(account, filter={"duration": 3})) == []  # lapsed lasted 80 days
    whale = client.fans.list_all(account, filter={"total_spent": 100}).data.list[0].subscribed_on_data
    assert (whale.total_summ, whale.tips_summ, whale.subscribes_summ, whale.messages_summ) == (359.94, 300, 59.94, 0)

    import onlyfansapi

    with pytest.raises(onlyfansapi.UnprocessableEntityError) as dotted:
        client.fans.list_all(account, extra_query={"filter.total_spent": 100})
    assert list(dotted.value.body["errors"]) == ["filter.total_spent"]
    with pytest.raises(onlyfansapi.UnprocessableEntityError) as both:
        client.fans.list_all(account, filter={"max_total_spent": 0, "online": 1})
    assert list(both.value.body["errors"]) == ["filter[max_total_spent]"]
    with pytest.raises(onlyfansapi.UnprocessableEntityError):
        client.fans.list_active(account, type="expired")


def test_sdk_sees_errors_as_its_exceptions(sdk_world, server):
    client, account, _ = sdk_world
    import onlyfansapi

    with pytest.raises(onlyfansapi.NotFoundError):
        client.user_lists.retrieve("987654321", account=account)
    with pytest.raises(onlyfansapi.UnprocessableEntityError) as info:
        client.user_lists.create(account, name="x" * 65)
    assert "name" in info.value.body["errors"]
    stranger = OnlyFansAPI(api_key="massdm_not_a_key", base_url=server.base_url, max_retries=0)
    with pytest.raises(onlyfansapi.AuthenticationError):
        stranger.whoami.retrieve()
