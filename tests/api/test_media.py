"""Uploads and the vault through the real ASGI app, with real image, video and audio files."""

from __future__ import annotations

import io
import math

import pytest
from PIL import Image

from massdm.api.state import state_of
from tests import media_files
from tests.backends import database_url, redis_settings
from tests.sdk import sdk_client


def _upload(client, caller, content: bytes, name: str = "file.bin", **extra):
    return client.post(
        f"/api/{caller.account}/media/upload", headers=caller.headers, files={"file": (name, content)}, data=extra
    )


def _fetch_image(client, url: str) -> Image.Image:
    path = url.replace("http://massdm.test", "")
    response = client.get(path)
    assert response.status_code == 200, url
    return Image.open(io.BytesIO(response.content))


def _balance(client, caller) -> int:
    response = client.get(f"/api/{caller.account}/fans/all", headers=caller.headers)
    return response.json()["_meta"]["_credits"]["balance"] + 1


def test_png_upload_is_a_photo_with_real_variants(client, caller):
    response = _upload(client, caller, media_files.png(1200, 800), name="holiday.png")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["prefixed_id"].startswith("ofapi_media_") and len(body["prefixed_id"]) == 44
    assert body["file_name"] == "holiday.png"
    assert "_meta" not in body  # bare shape
    media = body["media"]
    assert media["type"] == "photo" and media["id"] == body["vault_id"]
    files = media["files"]
    assert (files["full"]["width"], files["full"]["height"]) == (1200, 800)
    assert (files["thumb"]["width"], files["thumb"]["height"]) == (300, 300)
    assert (files["preview"]["width"], files["preview"]["height"]) == (960, 640)
    assert (files["squarePreview"]["width"], files["squarePreview"]["height"]) == (800, 800)
    assert body["thumbs"] == [{"id": media["id"], "url": files["thumb"]["url"]}]

    full = client.get(files["full"]["url"].replace("http://massdm.test", ""))
    assert full.content == media_files.png(1200, 800)
    assert files["full"]["size"] == len(full.content)

    thumb = _fetch_image(client, files["thumb"]["url"])
    assert thumb.size == (300, 300)
    left, right = thumb.getpixel((20, 150)), thumb.getpixel((280, 150))
    assert left[0] > 200 and left[2] < 60  # still red on the left
    assert right[2] > 200 and right[0] < 60  # still blue on the right
    preview = _fetch_image(client, files["preview"]["url"])
    assert preview.size == (960, 640)


def test_the_sdk_reads_every_field_of_the_upload_object_massdm_knows(client, caller):
    sdk = sdk_client(client, caller, strict=True)  # every field also of the SDK's type
    response = sdk.media.with_raw_response.upload(caller.account, file=("holiday.png", media_files.png(640, 480)))
    body, uploaded = response.http_response.json(), response.parse()
    wire_names = {f.alias or name for name, f in type(uploaded).model_fields.items()}
    assert wire_names <= body.keys(), f"missing: {wire_names - body.keys()}"

    media = body["media"]
    account = next(a for a in client.get("/api/accounts", headers=caller.headers).json() if a["id"] == caller.account)
    assert uploaded.prefixed_id == body["prefixed_id"] and uploaded.file_name == "holiday.png"
    assert uploaded.source_url == media["files"]["full"]["url"]  # the uploaded file itself, as stored
    assert client.get(uploaded.source_url.removeprefix("http://massdm.test")).content == media_files.png(640, 480)
    assert uploaded.host == "massdm.test"
    assert uploaded.additional is not None and uploaded.additional.user == str(account["onlyfans_id"])
    assert [(t.id, t.url) for t in uploaded.thumbs or []] == [(media["id"], media["files"]["thumb"]["url"])]
    assert uploaded.note == "Maximum file size is 1,000,000,000 bytes."
    assert (body["processId"], body["extra"]) == (None, None)  # no converter job, so nothing to name


def test_jpeg_and_gif_dimensions(client, caller):
    jpeg = _upload(client, caller, media_files.jpeg(2000, 1000), name="wide.jpg").json()["media"]
    assert jpeg["type"] == "photo"
    assert (jpeg["files"]["full"]["width"], jpeg["files"]["full"]["height"]) == (2000, 1000)
    preview = _fetch_image(client, jpeg["files"]["preview"]["url"])
    assert preview.size == (960, 480)
    top, bottom = preview.getpixel((480, 100)), preview.getpixel((480, 400))
    assert top[1] > 200 and top[0] < 60 and min(bottom) > 200  # green above, white below

    gif = _upload(client, caller, media_files.gif(200, 100), name="loop.gif").json()["media"]
    assert gif["type"] == "gif"
    assert (gif["files"]["full"]["width"], gif["files"]["full"]["height"]) == (200, 100)
    assert gif["files"]["preview"]["width"] == 200  # never upscaled
    assert gif["files"]["squarePreview"]["width"] == 100


def test_type_comes_from_the_bytes_not_the_name(client, caller, tmp_path):
    photo = _upload(client, caller, media_files.png(), name="song.mp3").json()["media"]
    assert photo["type"] == "photo"
    audio = _upload(client, caller, media_files.mp3(tmp_path), name="picture.png").json()["media"]
    assert audio["type"] == "audio"


def test_mp4_is_a_video_with_duration_size_and_a_poster(client, caller, tmp_path):
    response = _upload(client, caller, media_files.mp4(tmp_path, seconds=2, size="320x240"), name="clip.mp4")
    assert response.status_code == 200, response.text
    media = response.json()["media"]
    assert media["type"] == "video"
    assert media["duration"] == 2
    assert (media["files"]["full"]["width"], media["files"]["full"]["height"]) == (320, 240)
    poster = _fetch_image(client, media["files"]["thumb"]["url"])
    assert poster.size == (300, 300)
    assert media["videoSources"] == {"240": None, "720": None}


def test_mp3_is_audio_with_duration_and_no_thumbnails(client, caller, tmp_path):
    media = _upload(client, caller, media_files.mp3(tmp_path, seconds=3), name="tone.mp3").json()["media"]
    assert media["type"] == "audio"
    assert media["duration"] == 3
    assert media["files"]["thumb"] is None and media["files"]["preview"] is None


def test_every_upload_is_in_the_vault(client, caller, tmp_path):
    ids = {}
    for name, content in (("a.png", media_files.png()), ("b.gif", media_files.gif()),
                          ("c.mp4", media_files.mp4(tmp_path)), ("d.mp3", media_files.mp3(tmp_path))):
        ids[name] = _upload(client, caller, content, name=name).json()["vault_id"]
    vault = client.get(f"/api/{caller.account}/media/vault", headers=caller.headers).json()
    assert [m["id"] for m in vault["data"]["list"]] == [ids["d.mp3"], ids["c.mp4"], ids["b.gif"], ids["a.png"]]
    assert vault["data"]["hasMore"] is False and vault["_pagination"]["next_page"] is None
    assert vault["_meta"]["_credits"]["used"] == 1

    for kind, name in (("photo", "a.png"), ("gif", "b.gif"), ("video", "c.mp4"), ("audio", "d.mp3")):
        only = client.get(f"/api/{caller.account}/media/vault?type={kind}", headers=caller.headers).json()
        assert [m["id"] for m in only["data"]["list"]] == [ids[name]]

    one = client.get(f"/api/{caller.account}/media/vault/{ids['a.png']}", headers=caller.headers).json()
    assert one["data"]["id"] == ids["a.png"] and one["data"]["isReady"] is True
    assert one["data"]["createdAt"].endswith("+00:00")


def test_vault_pages(client, caller):
    ids = [_upload(client, caller, media_files.png(40, 40)).json()["vault_id"] for _ in range(12)]
    first = client.get(f"/api/{caller.account}/media/vault?limit=10", headers=caller.headers).json()
    assert [m["id"] for m in first["data"]["list"]] == ids[::-1][:10]
    assert first["data"]["hasMore"] is True
    assert "offset=10" in first["_pagination"]["next_page"]
    second = client.get(f"/api/{caller.account}/media/vault?limit=10&offset=10", headers=caller.headers).json()
    assert [m["id"] for m in second["data"]["list"]] == ids[::-1][10:]


def test_credits_are_three_per_started_megabyte(client, world, tmp_path):
    caller = world.caller(credits=1000)
    small = media_files.png(64, 64)
    before = _balance(client, caller)
    _upload(client, caller, small)
    after_small = _balance(client, caller)
    assert before - after_small - 1 == 3  # one metered read in between

    big = media_files.mp4(tmp_path, seconds=1) + b"\x00" * 2_500_000  # ~2.5 MB: 3 started MB
    size = len(big)
    response = _upload(client, caller, big, name="padded.mp4")
    assert response.status_code == 200, response.text
    after_big = _balance(client, caller)
    assert after_small - after_big - 1 == 3 * math.ceil(size / 1_000_000) == 9


def test_a_failed_upload_charges_nothing_and_leaves_no_file(client, world, app):
    caller = world.caller(credits=1000)
    store = state_of(app).media_store
    before = _balance(client, caller)
    for content in (b"", b"just some text, not media", b"\x89PNG\r\n\x1a\n" + b"broken" * 100):
        response = _upload(client, caller, content, name="x.png")
        assert response.status_code == 422, response.text
        assert "file" in response.json()["errors"]
    assert store.files() == []
    assert _balance(client, caller) == before - 1  # only the balance read itself


def test_upload_refused_at_zero_credits_leaves_nothing(client, world, app):
    caller = world.caller(credits=2)
    response = _upload(client, caller, media_files.png())
    assert response.status_code == 402
    assert response.json()["message"].startswith("Insufficient credits")
    assert state_of(app).media_store.files() == []


def test_upload_costing_more_than_the_balance_is_402_and_rolls_back(client, world, app, tmp_path):
    caller = world.caller(credits=5)  # enough to start, not for a 2 MB file (6 credits)
    big = media_files.mp4(tmp_path, seconds=1) + b"\x00" * 1_500_000
    response = _upload(client, caller, big, name="big.mp4")
    assert response.status_code == 402
    assert state_of(app).media_store.files() == []
    assert client.get(f"/api/{caller.account}/media/vault", headers=caller.headers).json()["data"]["list"] == []


def test_too_large_is_413_and_leaves_nothing(tmp_path, world):
    from fastapi.testclient import TestClient

    from massdm.app import create_app
    from massdm.config import Settings

    small = create_app(Settings(database_url=database_url(tmp_path), **redis_settings(), media_dir=tmp_path / "m",
                                media_max_bytes=10_000))
    caller = type(world)(state_of(small).engine, state_of(small).clock).caller()
    with TestClient(small) as client:
        response = _upload(client, caller, media_files.png(600, 600) + b"\0" * 20_000)
        assert response.status_code == 413
        assert response.json()["error"] == "PAYLOAD_TOO_LARGE"
        # a chunked body with no Content-Length is cut off while streaming, too
        body = (b"--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"x.png\"\r\n\r\n"
                + b"\x89PNG" + b"0" * 50_000)
        streamed = client.post(f"/api/{caller.account}/media/upload",
                               headers={**caller.headers, "Content-Type": "multipart/form-data; boundary=b"},
                               content=iter([body[i:i + 4096] for i in range(0, len(body), 4096)]))
        assert streamed.status_code == 413
    assert state_of(small).media_store.files() == []


@pytest.mark.parametrize("name", ["../../etc/passwd", "..\\..\\boot.ini", "/abs/path/x.png", "a\x00b.png", ".hidden"])
def test_file_names_never_become_paths(client, caller, app, name):
    body = _upload(client, caller, media_files.png(50, 50), name=name).json()
    assert "/" not in body["file_name"] and "\\" not in body["file_name"] and "\x00" not in body["file_name"]
    root = state_of(app).media_store.root
    assert all(root in path.parents for path in state_of(app).media_store.files() if "staging" not in path.parts)
    assert not (root.parent.parent / "etc").exists()


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"content": b"", "headers": {"Content-Type": "text/plain"}}, "body"),
        ({"data": {"file": "not a file part"}}, "file"),
        ({"data": {"type": "default"}}, "file"),
        ({"json": {"file_url": "ftp://example.com/x.png"}}, "file_url"),
        ({"json": {"file_url": "not a url"}}, "file_url"),
        ({"json": ["x"]}, "body"),
        ({"content": b"{bad", "headers": {"Content-Type": "application/json"}}, "body"),
        ({"content": b"--x\r\nbroken", "headers": {"Content-Type": "multipart/form-data"}}, "body"),
    ],
)
def test_bad_upload_requests_are_422(client, caller, kwargs, field):
    headers = {**caller.headers, **kwargs.pop("headers", {})}
    response = client.post(f"/api/{caller.account}/media/upload", headers=headers, **kwargs)
    assert response.status_code == 422, response.text
    assert field in response.json()["errors"]


def test_vault_validation_and_not_found(client, caller):
    for query, field in (("limit=9", "limit"), ("limit=101", "limit"), ("type=pdf", "type"), ("offset=-1", "offset")):
        response = client.get(f"/api/{caller.account}/media/vault?{query}", headers=caller.headers)
        assert response.status_code == 422 and field in response.json()["errors"]
    missing = client.get(f"/api/{caller.account}/media/vault/424242", headers=caller.headers)
    assert missing.status_code == 404 and missing.json()["error"] == "NOT_FOUND"


def test_vault_items_belong_to_their_account(client, world, caller):
    vault_id = _upload(client, caller, media_files.png(40, 40)).json()["vault_id"]
    other = world.account(caller.team, "Other")
    assert client.get(f"/api/{other}/media/vault/{vault_id}", headers=caller.headers).status_code == 404
    assert client.get(f"/api/{other}/media/vault", headers=caller.headers).json()["data"]["list"] == []
