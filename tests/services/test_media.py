"""Media use cases beneath the API: attaching media to messages, and degrading without ffmpeg."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from massdm.api.state import state_of
from massdm.app import create_app
from massdm.config import Settings
from massdm.errors import ValidationFailed
from massdm.services import media as media_service
from massdm.store.db import transaction
from tests import media_files
from tests.backends import database_url, redis_settings
from tests.conftest import World


def _upload(client, caller, content: bytes, name: str) -> dict:
    response = client.post(f"/api/{caller.account}/media/upload", headers=caller.headers,
                           files={"file": (name, content)})
    assert response.status_code == 200, response.text
    return response.json()


def test_an_upload_id_attaches_once_a_vault_id_again_and_again(client, caller, app, clock):
    first = _upload(client, caller, media_files.png(60, 60), "a.png")
    second = _upload(client, caller, media_files.gif(), "b.gif")
    engine = state_of(app).engine
    with transaction(engine) as c:
        items = media_service.attach_media(c, caller.account, [first["prefixed_id"], second["vault_id"]], 1,
                                           clock.now())
    assert [i.id for i in items] == [first["vault_id"], second["vault_id"]]

    with pytest.raises(ValidationFailed) as used, transaction(engine) as c:
        media_service.attach_media(c, caller.account, [first["prefixed_id"]], 2, clock.now())
    assert first["prefixed_id"] in used.value.errors["mediaFiles"][0]
    with transaction(engine) as c:  # the message holding it may name it again (an edit)
        assert len(media_service.attach_media(c, caller.account, [first["prefixed_id"]], 1, clock.now())) == 1

    for _ in range(2):  # vault ids are reusable, also by their upload's vault id
        with transaction(engine) as c:
            again = media_service.attach_media(c, caller.account, [str(first["vault_id"]), second["vault_id"]],
                                               3, clock.now())
        assert [i.type for i in again] == ["photo", "gif"]


def test_unknown_media_is_named_and_nothing_is_consumed(client, caller, app, clock):
    good = _upload(client, caller, media_files.png(60, 60), "a.png")
    with pytest.raises(ValidationFailed) as error, transaction(state_of(app).engine) as c:
        media_service.attach_media(c, caller.account, [good["prefixed_id"], "ofapi_media_" + "0" * 32, 999999, "x"],
                                   1, clock.now(), field="previews")
    message = error.value.errors["previews"][0]
    assert "ofapi_media_" + "0" * 32 in message and "999999" in message and "x" in message
    assert good["prefixed_id"] not in message
    with transaction(state_of(app).engine) as c:  # still attachable: the failed call consumed nothing
        assert len(media_service.attach_media(c, caller.account, [good["prefixed_id"]], 2, clock.now())) == 1


def test_the_same_upload_twice_in_one_message_is_refused(client, caller, app, clock):
    up = _upload(client, caller, media_files.png(60, 60), "a.png")
    with pytest.raises(ValidationFailed), transaction(state_of(app).engine) as c:
        media_service.attach_media(c, caller.account, [up["prefixed_id"], up["prefixed_id"]], 1, clock.now())


def test_media_of_another_account_is_unknown(client, world, caller, app, clock):
    up = _upload(client, caller, media_files.png(60, 60), "a.png")
    other = world.account(caller.team, "Other")
    with pytest.raises(ValidationFailed), transaction(state_of(app).engine) as c:
        media_service.attach_media(c, other, [up["prefixed_id"]], 1, clock.now())


def test_without_ffmpeg_video_and_audio_degrade_clearly(tmp_path):
    app = create_app(Settings(database_url=database_url(tmp_path), **redis_settings(), media_dir=tmp_path / "media",
                              ffprobe="/nonexistent/ffprobe", ffmpeg="/nonexistent/ffmpeg"))
    caller = World(state_of(app).engine, state_of(app).clock).caller()
    with TestClient(app) as client:
        video = _upload(client, caller, media_files.mp4(tmp_path), "clip.mp4")["media"]
        audio = _upload(client, caller, media_files.mp3(tmp_path), "tone.mp3")["media"]
        photo = _upload(client, caller, media_files.png(50, 40), "p.png")["media"]
    assert (video["type"], video["duration"], video["files"]["thumb"]) == ("video", 0, None)
    assert (video["files"]["full"]["width"], video["isReady"]) == (0, True)
    assert (audio["type"], audio["duration"]) == ("audio", 0)
    assert photo["files"]["full"]["width"] == 50  # images never needed ffmpeg
