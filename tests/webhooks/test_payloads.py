"""Payloads built from rows: the queue item webhooks send is the one the API lists, byte for byte."""

from __future__ import annotations

import json
from dataclasses import fields
from datetime import UTC, datetime, timedelta, timezone

from massdm.api.schemas.mass_messaging import QueueItemOut
from massdm.domain.queue import queue_state
from massdm.store.message_views import MessageView
from massdm.store.messages import MassMessage
from massdm.webhooks import payloads

NOW = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)


def _message(**values: object) -> MassMessage:
    defaults = {f.name: None for f in fields(MassMessage)}
    defaults.update(
        id=7, account_id="acct_" + "0" * 32, text="<b>hi</b>", raw_text="hi", locked_text=False, price_cents=0,
        release_forms={}, user_lists=["fans"], excluded_lists=[], created_at=NOW - timedelta(minutes=5),
        saved_for_later=False, total=10, skipped_count=1, sent_count=4, viewed_count=0, purchased_count=0,
        revenue_cents=0, sent_at=NOW - timedelta(minutes=1), failed_count=0,
    )
    defaults.update(values)
    return MassMessage(**defaults)


def _view(message: MassMessage, failures: dict[str, int] | None = None) -> MessageView:
    return MessageView(message, state=queue_state(message.facts, NOW, 1_000_000), failures=failures or {})


def test_the_api_queue_item_is_the_webhook_payload_byte_for_byte():
    failed = _view(_message(failed_count=2, finished_at=NOW), {"blocked": 1, "restricted": 1})
    assert (failed.state.has_error, failed.state.pending, failed.status) == (True, 3, "sent")
    for view in (*(_view(message) for message in (
            _message(), _message(canceled_at=NOW, error="stopped"), _message(total=-1, sent_at=None),
            _message(sent_at=datetime(2026, 3, 1, 13, 0, tzinfo=timezone(timedelta(hours=1)))))), failed):
        listed = QueueItemOut.of(view).model_dump_json(by_alias=True)
        sent = json.dumps(payloads.queue_item(view), separators=(",", ":"), ensure_ascii=False)
        assert listed == sent


def test_the_queue_item_says_the_provider_s_fields_then_massdm_s():
    item = payloads.queue_item(_view(_message()))
    assert list(item) == ["id", "date", "isReady", "isDone", "total", "pending", "canUnsend", "unsendSeconds",
                          "hasError", "isCanceled", "isCouplePeopleMedia", "status", "error"]
    assert item["date"] == "2026-03-01T11:59:00+00:00" and item["pending"] == 5 and item["status"] == "sending"
