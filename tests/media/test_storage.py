from __future__ import annotations

import pytest

from massdm.media.storage import LocalMediaStore


def test_put_moves_and_delete_tidies_up(tmp_path):
    store = LocalMediaStore(tmp_path / "media")
    staged = store.staging_path()
    staged.write_bytes(b"abc")
    assert store.put(staged, "acct_x/abc/full.png") == 3
    assert not staged.exists()
    assert (store.root / "acct_x/abc/full.png").read_bytes() == b"abc"
    assert store.url_path("acct_x/abc/full.png") == "/media/acct_x/abc/full.png"
    store.delete("acct_x/abc/full.png")
    assert store.files() == [] and not (store.root / "acct_x").exists()


@pytest.mark.parametrize("key", ["../escape.png", "/etc/passwd", "a/../../b"])
def test_keys_cannot_escape_the_store(tmp_path, key):
    store = LocalMediaStore(tmp_path / "media")
    staged = store.staging_path()
    staged.write_bytes(b"x")
    with pytest.raises(ValueError):
        store.put(staged, key)
