"""Vault lists (the SDK's media.vault.lists): the creator's folders of vault media."""

from __future__ import annotations

import pytest

from tests import media_files


def _lists(caller) -> str:
    return f"/api/{caller.account}/media/vault/lists"


def _upload(client, caller, content: bytes | None = None, name: str = "a.png", account: str | None = None) -> dict:
    response = client.post(f"/api/{account or caller.account}/media/upload", headers=caller.headers,
                           files={"file": (name, content or media_files.png(60, 40))})
    assert response.status_code == 200, response.text
    return response.json()


def _create(client, caller, name: str = "VIP") -> int:
    response = client.post(_lists(caller), headers=caller.headers, json={"name": name})
    assert response.status_code == 200, response.text
    return response.json()["data"]["id"]


def _add(client, caller, list_id: int, media_ids: list):
    return client.post(f"{_lists(caller)}/{list_id}/media", headers=caller.headers, json={"mediaIds": media_ids})


def _remove(client, caller, list_id: int, media_ids: list):
    return client.request("DELETE", f"{_lists(caller)}/{list_id}/media", headers=caller.headers,
                          json={"mediaIds": media_ids})


def _error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error"] == code and body["message"] and body["description"]
    assert body["_meta"]["_credits"]["used"] == 0
    return body


def _empty(list_id: int, name: str) -> dict:
    return {"id": list_id, "type": "custom", "name": name, "hasMedia": False, "canUpdate": True, "canDelete": True,
            "videosCount": 0, "photosCount": 0, "gifsCount": 0, "audiosCount": 0, "medias": []}


def _preview(upload: dict) -> dict:
    files = upload["media"]["files"]
    return {"type": upload["media"]["type"], "url": (files["thumb"] or files["full"])["url"]}


def test_create_answers_the_empty_list_and_costs_one_credit(client, caller):
    response = client.post(_lists(caller), headers=caller.headers, json={"name": "  Holiday  "})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["data"] == _empty(body["data"]["id"], "Holiday")
    assert isinstance(body["data"]["id"], int)
    assert body["_meta"]["_credits"]["used"] == 1 and body["_meta"]["_credits"]["note"] == "Always"
    assert client.get(f"{_lists(caller)}/{body['data']['id']}", headers=caller.headers).json()["data"] == body["data"]


def test_adding_media_counts_them_by_type_with_the_newest_as_previews(client, caller, tmp_path):
    photo = _upload(client, caller)
    gif = _upload(client, caller, media_files.gif(), "loop.gif")
    song = _upload(client, caller, media_files.mp3(tmp_path), "tone.mp3")
    clip = _upload(client, caller, media_files.mp4(tmp_path), "clip.mp4")
    outside = _upload(client, caller)
    vip = _create(client, caller)

    first = _add(client, caller, vip, [photo["vault_id"], str(gif["vault_id"])])
    assert first.status_code == 200, first.text
    assert first.json()["_meta"]["_credits"]["used"] == 1
    second = _add(client, caller, vip, [song["vault_id"], clip["vault_id"], photo["vault_id"]])  # photo: no change
    assert second.status_code == 200, second.text
    assert second.json()["data"] == {
        **_empty(vip, "VIP"), "hasMedia": True, "photosCount": 1, "gifsCount": 1, "audiosCount": 1, "videosCount": 1,
        "medias": [_preview(clip), _preview(song), _preview(gif)],  # the three added last, newest first
    }
    assert song["media"]["files"]["thumb"] is None  # audio shows its file itself
    assert client.get(f"{_lists(caller)}/{vip}", headers=caller.headers).json()["data"] == second.json()["data"]

    only = client.get(f"/api/{caller.account}/media/vault?list={vip}", headers=caller.headers).json()
    assert sorted(m["id"] for m in only["data"]["list"]) == sorted(
        u["vault_id"] for u in (photo, gif, song, clip))
    assert outside["vault_id"] not in [m["id"] for m in only["data"]["list"]]
    only_photos = client.get(f"/api/{caller.account}/media/vault?list={vip}&type=photo", headers=caller.headers)
    assert [m["id"] for m in only_photos.json()["data"]["list"]] == [photo["vault_id"]]


def test_removing_media_takes_them_out_of_the_list_not_the_vault(client, caller):
    a, b = _upload(client, caller), _upload(client, caller)
    vip = _create(client, caller)
    _add(client, caller, vip, [a["vault_id"], b["vault_id"]])
    response = _remove(client, caller, vip, [a["vault_id"]])
    assert response.status_code == 200, response.text
    assert response.json()["data"] == {**_empty(vip, "VIP"), "hasMedia": True, "photosCount": 1,
                                       "medias": [_preview(b)]}
    again = _remove(client, caller, vip, [a["vault_id"], b["vault_id"]])  # a is no longer in it: no change
    assert again.json()["data"] == _empty(vip, "VIP")
    vault = client.get(f"/api/{caller.account}/media/vault", headers=caller.headers).json()["data"]["list"]
    assert {m["id"] for m in vault} == {a["vault_id"], b["vault_id"]}


def test_rename_and_delete(client, caller):
    item = _upload(client, caller)
    vip = _create(client, caller)
    _add(client, caller, vip, [item["vault_id"]])
    renamed = client.put(f"{_lists(caller)}/{vip}", headers=caller.headers, json={"name": "Best of"})
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["data"]["name"] == "Best of" and renamed.json()["data"]["photosCount"] == 1
    assert renamed.json()["_meta"]["_credits"]["used"] == 1

    deleted = client.delete(f"{_lists(caller)}/{vip}", headers=caller.headers)
    assert deleted.status_code == 200, deleted.text
    assert deleted.json()["data"] == {"success": True} and deleted.json()["_meta"]["_credits"]["used"] == 1
    _error(client.get(f"{_lists(caller)}/{vip}", headers=caller.headers), 404, "NOT_FOUND")
    _error(client.delete(f"{_lists(caller)}/{vip}", headers=caller.headers), 404, "NOT_FOUND")
    _error(client.get(f"/api/{caller.account}/media/vault?list={vip}", headers=caller.headers), 404, "NOT_FOUND")
    assert client.get(f"/api/{caller.account}/media/vault/{item['vault_id']}", headers=caller.headers).status_code \
        == 200  # the media stay in the vault


def test_the_page_of_lists_newest_first_with_the_whole_vault(client, caller):
    items = [_upload(client, caller) for _ in range(4)]
    ids = [_create(client, caller, name) for name in ("Summer", "Winter", "summer beach")]
    _add(client, caller, ids[0], [items[0]["vault_id"]])

    response = client.get(_lists(caller), headers=caller.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    data = body["data"]
    assert [v["id"] for v in data["list"]] == ids[::-1]
    assert data["list"][2] == {**_empty(ids[0], "Summer"), "hasMedia": True, "photosCount": 1,
                               "medias": [_preview(items[0])]}
    assert data["all"] == {"videosCount": 0, "photosCount": 4, "gifsCount": 0, "audiosCount": 0,
                           "medias": [_preview(i) for i in items[::-1][:3]]}
    assert (data["hasMore"], data["canCreateVaultLists"]) == (False, True)
    assert (data["order"], data["sort"]) == ("recent", "desc")
    assert body["_pagination"] == {"next_page": None} and body["_meta"]["_credits"]["used"] == 1

    found = client.get(f"{_lists(caller)}?query=SUMMER", headers=caller.headers).json()["data"]["list"]
    assert [v["name"] for v in found] == ["summer beach", "Summer"]
    assert client.get(f"{_lists(caller)}?query=50%25", headers=caller.headers).json()["data"]["list"] == []

    first = client.get(f"{_lists(caller)}?limit=2", headers=caller.headers).json()
    assert [v["id"] for v in first["data"]["list"]] == ids[::-1][:2] and first["data"]["hasMore"] is True
    assert "offset=2" in first["_pagination"]["next_page"] and "limit=2" in first["_pagination"]["next_page"]
    rest = client.get(f"{_lists(caller)}?limit=2&offset=2", headers=caller.headers).json()["data"]
    assert [v["id"] for v in rest["list"]] == [ids[0]] and rest["hasMore"] is False


def test_the_lightweight_page_has_names_and_counts_only(client, caller):
    a, b = _upload(client, caller), _upload(client, caller)
    vip = _create(client, caller)
    _add(client, caller, vip, [a["vault_id"], b["vault_id"]])
    other = _create(client, caller, "Empty")
    response = client.get(f"{_lists(caller)}?lightweight=true", headers=caller.headers)
    assert response.status_code == 200, response.text
    assert response.json()["data"] == {
        "list": [{"id": other, "name": "Empty", "type": "custom", "canUpdate": True, "mediaCount": 0},
                 {"id": vip, "name": "VIP", "type": "custom", "canUpdate": True, "mediaCount": 2}],
        "all": {"mediaCount": 2},
        "hasMore": False, "canCreateVaultLists": True, "order": "recent", "sort": "desc",
    }


def test_media_deleted_from_the_vault_leave_every_list_and_cannot_be_added(client, caller):
    a, b = _upload(client, caller), _upload(client, caller)
    vip, best = _create(client, caller), _create(client, caller, "Best")
    for list_id in (vip, best):
        _add(client, caller, list_id, [a["vault_id"], b["vault_id"]])
    deleted = client.request("DELETE", f"/api/{caller.account}/media/vault/delete-media", headers=caller.headers,
                             json={"mediaIds": [a["vault_id"]]})
    assert deleted.status_code == 200, deleted.text
    for list_id, name in ((vip, "VIP"), (best, "Best")):
        shown = client.get(f"{_lists(caller)}/{list_id}", headers=caller.headers).json()["data"]
        assert shown == {**_empty(list_id, name), "hasMedia": True, "photosCount": 1, "medias": [_preview(b)]}
    body = _error(_add(client, caller, vip, [a["vault_id"]]), 404, "NOT_FOUND")
    assert str(a["vault_id"]) in body["message"]
    _error(_remove(client, caller, vip, [a["vault_id"]]), 404, "NOT_FOUND")
    light = client.get(f"{_lists(caller)}?lightweight=1", headers=caller.headers).json()["data"]
    assert [v["mediaCount"] for v in light["list"]] == [1, 1] and light["all"] == {"mediaCount": 1}


def test_other_accounts_lists_and_media_are_404(client, world, caller):
    sibling = world.account(caller.team, "Sibling")  # the same key may use it
    theirs_list = client.post(f"/api/{sibling}/media/vault/lists", headers=caller.headers,
                              json={"name": "Theirs"}).json()["data"]["id"]
    theirs_media = _upload(client, caller, account=sibling)["vault_id"]
    mine_list, mine_media = _create(client, caller), _upload(client, caller)["vault_id"]
    base = _lists(caller)

    for response in (
        client.get(f"{base}/{theirs_list}", headers=caller.headers),
        client.put(f"{base}/{theirs_list}", headers=caller.headers, json={"name": "Mine now"}),
        client.delete(f"{base}/{theirs_list}", headers=caller.headers),
        _add(client, caller, theirs_list, [mine_media]),
        _remove(client, caller, theirs_list, [mine_media]),
        _add(client, caller, mine_list, [theirs_media]),
        _add(client, caller, mine_list, [mine_media, theirs_media]),
        _remove(client, caller, mine_list, [theirs_media]),
        client.get(f"/api/{caller.account}/media/vault?list={theirs_list}", headers=caller.headers),
    ):
        _error(response, 404, "NOT_FOUND")
    assert client.get(f"{base}/{mine_list}", headers=caller.headers).json()["data"] == _empty(mine_list, "VIP")
    sibling_lists = client.get(f"/api/{sibling}/media/vault/lists", headers=caller.headers).json()["data"]
    assert [v["name"] for v in sibling_lists["list"]] == ["Theirs"] and sibling_lists["all"]["photosCount"] == 1
    assert [v["id"] for v in client.get(base, headers=caller.headers).json()["data"]["list"]] == [mine_list]
    # another team's key reaches none of it
    stranger = world.caller()
    _error(client.get(f"{base}/{mine_list}", headers=stranger.headers), 404, "NOT_FOUND")


@pytest.mark.parametrize(
    ("method", "suffix", "body", "field"),
    [
        ("POST", "", {}, "name"),
        ("POST", "", {"name": ""}, "name"),
        ("POST", "", {"name": "   "}, "name"),
        ("POST", "", {"name": "x" * 256}, "name"),
        ("POST", "", {"name": "a\x00b"}, "name"),
        ("POST", "", {"name": 5}, "name"),
        ("POST", "", ["VIP"], "body"),
        ("PUT", "/{id}", {}, "name"),
        ("PUT", "/{id}", {"name": " "}, "name"),
        ("POST", "/{id}/media", {}, "mediaIds"),
        ("POST", "/{id}/media", {"mediaIds": []}, "mediaIds"),
        ("POST", "/{id}/media", {"mediaIds": ["one"]}, "mediaIds.0"),
        ("POST", "/{id}/media", {"mediaIds": [False]}, "mediaIds.0"),
        ("DELETE", "/{id}/media", {"mediaIds": [0]}, "mediaIds.0"),
        ("DELETE", "/{id}/media", {"mediaIds": list(range(1, 1002))}, "mediaIds"),
        ("GET", "?limit=0", None, "limit"),
        ("GET", "?limit=101", None, "limit"),
        ("GET", "?offset=-1", None, "offset"),
        ("GET", "?lightweight=maybe", None, "lightweight"),
        ("GET", "?query=" + "q" * 256, None, "query"),
        ("GET", "?query=a%00b", None, "query"),
    ],
)
def test_bad_input_is_422(client, caller, method, suffix, body, field):
    vip = _create(client, caller)
    path = _lists(caller) + suffix.replace("{id}", str(vip))
    response = client.request(method, path, headers=caller.headers, **({"json": body} if body is not None else {}))
    assert field in _error(response, 422, "VALIDATION_ERROR")["errors"]
    assert client.get(f"{_lists(caller)}/{vip}", headers=caller.headers).json()["data"] == _empty(vip, "VIP")


def test_unknown_list_ids_are_404(client, caller):
    item = _upload(client, caller)["vault_id"]
    base = f"{_lists(caller)}/424242"
    for response in (client.get(base, headers=caller.headers),
                     client.put(base, headers=caller.headers, json={"name": "x"}),
                     client.delete(base, headers=caller.headers),
                     _add(client, caller, 424242, [item]),
                     _remove(client, caller, 424242, [item])):
        assert "Vault list 424242" in _error(response, 404, "NOT_FOUND")["message"]


@pytest.mark.parametrize("list_id", ["abc", "0", "-1", "1.5", "99999999999999999999"])
def test_a_list_id_that_cannot_exist_is_404_whatever_the_body(client, caller, list_id):
    base = f"{_lists(caller)}/{list_id}"
    for response in (client.get(base, headers=caller.headers),
                     client.put(base, headers=caller.headers, json={"name": ""}),
                     client.delete(base, headers=caller.headers),
                     client.post(f"{base}/media", headers=caller.headers, json={"mediaIds": ["x"]}),
                     client.request("DELETE", f"{base}/media", headers=caller.headers, json={})):
        assert list_id in _error(response, 404, "NOT_FOUND")["message"]


def test_vault_media_name_the_lists_they_are_in(client, caller):
    item, loose = _upload(client, caller), _upload(client, caller)
    vip, best = _create(client, caller), _create(client, caller, "Best")
    for list_id in (best, vip):
        _add(client, caller, list_id, [item["vault_id"]])

    def states(media_id: int) -> list[dict]:
        one = client.get(f"/api/{caller.account}/media/vault/{media_id}", headers=caller.headers).json()["data"]
        page = client.get(f"/api/{caller.account}/media/vault", headers=caller.headers).json()["data"]["list"]
        assert next(m for m in page if m["id"] == media_id)["listStates"] == one["listStates"]
        return one["listStates"]

    assert states(item["vault_id"]) == [
        {"id": vip, "type": "custom", "name": "VIP", "hasMedia": True, "canAddMedia": True},
        {"id": best, "type": "custom", "name": "Best", "hasMedia": True, "canAddMedia": True},
    ]
    assert states(loose["vault_id"]) == []
    _remove(client, caller, vip, [item["vault_id"]])
    client.delete(f"{_lists(caller)}/{best}", headers=caller.headers)
    assert states(item["vault_id"]) == []
