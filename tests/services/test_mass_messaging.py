"""Mass-messaging use cases below the HTTP edge: the policy a deployment judges messages by."""

from __future__ import annotations

import json

from massdm.config import Settings
from massdm.services.mass_messaging import Policy


def test_the_policy_comes_from_the_settings(tmp_path):
    words = tmp_path / "banned.json"
    words.write_text(json.dumps({"strict_ban": ["Forbidden"], "risky": [], "replace_soften": []}))
    policy = Policy.from_settings(Settings(unsend_window_seconds=60, banned_words_file=words))
    assert policy.unsend_window == 60
    assert policy.banned_words.find("a forbidden word", "strict_ban") == ["forbidden"]


def test_without_a_file_the_shipped_banned_words_apply():
    policy = Policy.from_settings(Settings())
    assert policy.unsend_window == Settings().unsend_window_seconds
    assert any(policy.banned_words.words.values())
