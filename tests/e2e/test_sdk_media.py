"""The official SDK's media methods against a running server."""

from __future__ import annotations

import httpx
import pytest
from onlyfansapi import OnlyFansAPI

from tests import media_files


@pytest.fixture(scope="module")
def sdk(server):
    caller = server.world.caller()
    return OnlyFansAPI(api_key=caller.api_key, base_url=server.base_url, max_retries=0), caller


def test_upload_list_and_retrieve_through_the_sdk(sdk, tmp_path):
    client, caller = sdk
    (tmp_path / "photo.png").write_bytes(media_files.png(640, 480))
    with (tmp_path / "photo.png").open("rb") as handle:
        uploaded = client.media.upload(caller.account, file=handle)
    assert uploaded.prefixed_id.startswith("ofapi_media_")
    assert uploaded.file_name == "photo.png"
    assert uploaded.thumbs[0].url.endswith("/thumb.jpg")
    assert httpx.get(uploaded.thumbs[0].url).status_code == 200

    clip = media_files.mp4(tmp_path)
    video = client.media.upload(caller.account, file=("clip.mp4", clip, "video/mp4"))

    vault = client.media.vault.list(caller.account, limit=10)
    assert [m.type for m in vault.data.list] == ["video", "photo"]
    photo = vault.data.list[1]
    assert (photo.files.full.width, photo.files.full.height) == (640, 480)
    assert photo.is_ready is True and photo.has_error is False

    only_photos = client.media.vault.list(caller.account, type="photo", sort="asc")
    assert [m.type for m in only_photos.data.list] == ["photo"]

    retrieved = client.media.vault.retrieve(photo.id, account=caller.account)
    assert retrieved.data.files.thumb.width == 300
    assert retrieved.data.files.square_preview.width == 480
    assert retrieved.api_meta.api_credits.used == 1
    assert video.prefixed_id != uploaded.prefixed_id
