"""Webhook rules: who hears an account, the signature, stable keys, retry delays, when to pause."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import uuid
from datetime import timedelta

import pytest

from massdm.domain import webhooks as rules
from massdm.domain.webhooks import RetryPolicy


def test_the_body_is_the_envelope_and_always_the_same_bytes():
    payload = {"id": 7, "text": "héllo", "nested": {"b": 1, "a": 2}}
    raw = rules.body("chat_queue.updated", "acct_1", payload)
    assert json.loads(raw) == {"event": "chat_queue.updated", "account_id": "acct_1", "payload": payload}
    assert raw == rules.body("chat_queue.updated", "acct_1", json.loads(json.dumps(payload)))
    assert "héllo".encode() in raw  # UTF-8, not \\u escapes


def test_signature_is_hex_hmac_sha256_of_the_exact_bytes_and_verifies():
    raw = b'{"event":"test-event"}'
    expected = hmac.new(b"s3cret", raw, hashlib.sha256).hexdigest()
    assert rules.signature("s3cret", raw) == expected
    assert rules.verify("s3cret", raw, expected)
    assert rules.verify("s3cret", raw, expected.upper())  # hex case does not matter
    assert not rules.verify("s3cret", raw + b" ", expected)
    assert not rules.verify("other", raw, expected)
    assert not rules.verify("s3cret", raw, None)


def test_event_keys_are_evt_and_40_hex_stable_and_distinct():
    key = rules.event_key("instance-a", 41)
    assert re.fullmatch(r"evt_[0-9a-f]{40}", key)
    assert key == rules.event_key("instance-a", 41)
    assert key != rules.event_key("instance-a", 42)
    assert key != rules.event_key("instance-b", 41)  # another database's event 41 is another event


def test_delivery_ids_are_stable_uuids():
    made = rules.delivery_uuid("instance-a", 5)
    assert uuid.UUID(made).version == 4
    assert made == rules.delivery_uuid("instance-a", 5) != rules.delivery_uuid("instance-a", 6)


def test_three_attempts_with_growing_waits():
    policy = RetryPolicy(first_delay=timedelta(seconds=10))
    assert policy.delay_after(1) == timedelta(seconds=10)
    assert policy.delay_after(2) == timedelta(seconds=40)
    assert policy.delay_after(3) is None
    assert RetryPolicy(first_delay=timedelta(0)).delay_after(1) == timedelta(0)


def test_a_webhook_is_paused_only_after_enough_failed_deliveries_in_a_row():
    policy = RetryPolicy()
    assert rules.pause_reason(4, 5, policy) is None
    reason = rules.pause_reason(5, 5, policy)
    assert reason is not None and "5 deliveries in a row" in reason and "enabled: true" in reason
    assert rules.pause_reason(100, 0, policy) is None  # 0: never pause


@pytest.mark.parametrize("attempts", [1, rules.MAX_ATTEMPTS, 5])
def test_the_pause_names_the_attempts_the_retry_policy_made(attempts):
    policy = RetryPolicy(attempts=attempts)
    assert f"failed all {attempts} attempts" in rules.pause_reason(3, 3, policy)
    assert policy.delay_after(attempts) is None and (attempts == 1 or policy.delay_after(attempts - 1) is not None)


def test_test_event_is_not_among_the_subscribable_events():
    assert rules.TEST_EVENT not in rules.EVENTS
    assert set(rules.EVENTS) == {"chat_queue.updated", "chat_queue.finished", "messages.ppv.unlocked",
                                 "messages.sent", "messages.delivery_failed"}


@pytest.mark.parametrize(("text", "valid"), [
    ("wh_" + "0123456789abcdef" * 2, True), ("wh_\x00", False), ("wh_" + "0" * 32 + "\n", False),
    ("wh_" + "A" * 32, False), ("wh_" + "0" * 31, False), ("", False), ("wh_" + "٠" * 32, False),
])
def test_only_what_massdm_makes_can_name_a_webhook(text, valid):
    assert rules.is_webhook_id(text) is valid
