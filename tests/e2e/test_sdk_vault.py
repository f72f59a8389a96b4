"""The official SDK's vault management against a running server: media.vault (list, retrieve, delete),
media.vault.lists (create, retrieve, update, list, delete, media.add, media.remove) and
media.uploads.get_status, each answer parsed by the SDK with no field left None that massdm knows.

Every call but vault.list is read with the SDK's strict type checks on too. vault.list is not: the
SDK's own types disagree between it and vault.retrieve (a listed item's `files.thumb` is a string, a
retrieved one's an object, as massdm sends for both), so strict parsing refuses the list."""

from __future__ import annotations

import httpx
import pytest
from onlyfansapi import NotFoundError, OnlyFansAPI, UnprocessableEntityError
from pydantic import BaseModel

from tests import media_files

# What an upload's status leaves null because massdm has no such thing: the provider's converter job.
UNKNOWN = {"media.process_id", "media.extra"}


def _nones(model: BaseModel, path: str = "") -> set[str]:
    """The dotted paths of every field of an SDK answer that came back None (list items by index)."""
    found: set[str] = set()
    for name in type(model).model_fields:
        value = getattr(model, name)
        here = f"{path}.{name}" if path else name
        if value is None:
            found.add(here)
        elif isinstance(value, BaseModel):
            found |= _nones(value, here)
        elif isinstance(value, list):
            for index, item in enumerate(value):
                if isinstance(item, BaseModel):
                    found |= _nones(item, f"{here}[{index}]")
    return found


class Clients:
    def __init__(self, base_url: str, api_key: str) -> None:
        self.strict = OnlyFansAPI(api_key=api_key, base_url=base_url, max_retries=0, _strict_response_validation=True)
        self.loose = OnlyFansAPI(api_key=api_key, base_url=base_url, max_retries=0)


@pytest.fixture(scope="module")
def sdk(server):
    caller = server.world.caller()
    return Clients(server.base_url, caller.api_key), caller.account


def _upload(clients: Clients, account: str, name: str, content: bytes):
    uploaded = clients.loose.media.upload(account, file=(name, content))
    assert uploaded.prefixed_id.startswith("ofapi_media_")
    return uploaded


def test_vault_lists_through_the_sdk(sdk):
    clients, account = sdk
    client = clients.strict
    photo = _upload(clients, account, "photo.png", media_files.png(640, 480))
    gif = _upload(clients, account, "loop.gif", media_files.gif())
    photo_id, gif_id = photo.model_extra["vault_id"], gif.model_extra["vault_id"]

    created = client.media.vault.lists.create(account, name="VIP")
    assert _nones(created) == set()
    assert (created.data.name, created.data.type, created.data.has_media, created.data.medias) == (
        "VIP", "custom", False, [])
    list_id = str(created.data.id)

    added = client.media.vault.lists.media.add(list_id, account=account, media_ids=[str(photo_id), str(gif_id)])
    assert _nones(added) == set()
    assert (added.data.photos_count, added.data.gifs_count, added.data.videos_count) == (1, 1, 0)
    assert [m.type for m in added.data.medias] == ["gif", "photo"]
    assert httpx.get(added.data.medias[0].url).status_code == 200
    assert added.api_meta.api_credits.used == 1

    retrieved = client.media.vault.lists.retrieve(list_id, account=account)
    assert _nones(retrieved) == set() and retrieved.data.id == created.data.id and retrieved.data.has_media

    renamed = client.media.vault.lists.update(list_id, account=account, name="Best of")
    assert _nones(renamed) == set() and renamed.data.name == "Best of"

    page = client.media.vault.lists.list(account, limit=10)
    assert _nones(page) == set()
    assert [v.name for v in page.data.list] == ["Best of"] and page.data.list[0].photos_count == 1
    assert (page.data.all.photos_count, page.data.all.gifs_count, page.data.can_create_vault_lists) == (1, 1, True)
    light = client.media.vault.lists.list(account, lightweight=True, query="best")
    assert _nones(light) == set()
    assert (light.data.list[0].media_count, light.data.all.media_count) == (2, 2)

    in_list = clients.loose.media.vault.list(account, list=created.data.id)
    assert sorted(m.id for m in in_list.data.list) == sorted([photo_id, gif_id])
    assert [s.name for s in in_list.data.list[0].list_states] == ["Best of"]
    one = client.media.vault.retrieve(photo_id, account=account)
    assert [(s.id, s.name, s.has_media) for s in one.data.list_states] == [(created.data.id, "Best of", True)]
    assert _nones(one) == {"data.video_sources.api_240", "data.video_sources.api_720"}  # no transcodes

    removed = client.media.vault.lists.media.remove(list_id, account=account, media_ids=[str(gif_id)])
    assert _nones(removed) == set() and (removed.data.photos_count, removed.data.gifs_count) == (1, 0)

    deleted = client.media.vault.lists.delete(list_id, account=account)
    assert _nones(deleted) == set() and deleted.data.success is True
    with pytest.raises(NotFoundError):
        client.media.vault.lists.retrieve(list_id, account=account)
    assert {m.id for m in clients.loose.media.vault.list(account).data.list} >= {photo_id, gif_id}


def test_upload_status_and_vault_delete_through_the_sdk(sdk):
    clients, account = sdk
    client = clients.strict
    upload = _upload(clients, account, "clip.png", media_files.png(320, 200))
    vault_id = upload.model_extra["vault_id"]

    status = client.media.uploads.get_status(upload.prefixed_id, account=account)
    assert type(status).__name__ == "UnionMember4"  # the SDK's "completed POST /media/upload upload"
    assert _nones(status) == UNKNOWN
    assert (status.status, status.prefixed_id, status.credits_used) == ("completed", upload.prefixed_id, 3)
    assert status.media.prefixed_id == upload.prefixed_id and status.media.file_name == "clip.png"
    assert status.media.thumbs[0].url == upload.thumbs[0].url
    assert httpx.get(status.media.source_url).status_code == 200

    gone = client.media.vault.delete(account, media_ids=[str(vault_id)])
    assert _nones(gone) == set() and gone.data.success is True
    assert gone.api_meta.api_credits.used == 1
    with pytest.raises(NotFoundError):
        client.media.vault.retrieve(vault_id, account=account)
    with pytest.raises(NotFoundError):
        client.media.uploads.get_status(upload.prefixed_id, account=account)
    with pytest.raises(NotFoundError):
        client.media.vault.delete(account, media_ids=[str(vault_id)])
    with pytest.raises(UnprocessableEntityError):
        client.media.vault.delete(account, media_ids=["not-an-id"])
    assert vault_id not in [m.id for m in clients.loose.media.vault.list(account).data.list]
