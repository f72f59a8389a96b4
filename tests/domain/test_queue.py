"""What a queue item says about a mass message, derived from its facts and the time."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from massdm.domain.queue import DEFAULT_UNSEND_WINDOW, MessageFacts, queue_state, status, unsend_seconds_left

T0 = datetime(2025, 1, 1, 1, 1, 1, tzinfo=UTC)
WINDOW = 3600

QUEUED = MessageFacts(
    created_at=T0, scheduled_at=None, saved_for_later=False, sent_at=None, finished_at=None, canceled_at=None,
    total=-1, sent_count=0, skipped_count=0, error=None,
)


def _sending(**changes) -> MessageFacts:
    """Sent (counted) at T0 + 10 s to an audience of 10."""
    return replace(QUEUED, **{"sent_at": T0 + timedelta(seconds=10), "total": 10, **changes})


def _at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


# --- unsend window -------------------------------------------------------------------------


def test_the_whole_window_is_left_before_sending():
    assert unsend_seconds_left(None, _at(0), WINDOW) == WINDOW
    assert unsend_seconds_left(None, _at(10**7), WINDOW) == WINDOW


@pytest.mark.parametrize(
    ("elapsed", "left"),
    [(0, 3600), (0.4, 3600), (1, 3599), (1.5, 3599), (60, 3540), (3599, 1), (3599.9, 1), (3600, 0), (3601, 0),
     (10**6, 0)],
)
def test_the_window_counts_down_in_whole_seconds_and_stops_at_zero(elapsed, left):
    assert unsend_seconds_left(T0, _at(elapsed), WINDOW) == left


@given(st.integers(min_value=0, max_value=3 * WINDOW), st.integers(min_value=0, max_value=3 * WINDOW))
def test_the_window_never_grows_and_never_goes_negative(a, b):
    early, late = sorted((a, b))
    left_early = unsend_seconds_left(T0, _at(early), WINDOW)
    left_late = unsend_seconds_left(T0, _at(late), WINDOW)
    assert 0 <= left_late <= left_early <= WINDOW
    assert left_early == max(0, WINDOW - early)


def test_default_window_is_the_providers_example():
    assert DEFAULT_UNSEND_WINDOW == 1_000_000
    state = queue_state(QUEUED, _at(5))
    assert (state.can_unsend, state.unsend_seconds) == (True, 1_000_000)


def test_queue_state_follows_the_window_until_it_closes():
    facts = _sending()
    assert (queue_state(facts, _at(10), WINDOW).unsend_seconds, queue_state(facts, _at(10), WINDOW).can_unsend) == (
        WINDOW, True)
    almost = queue_state(facts, _at(10 + WINDOW - 1), WINDOW)
    assert (almost.unsend_seconds, almost.can_unsend) == (1, True)
    closed = queue_state(facts, _at(10 + WINDOW), WINDOW)
    assert (closed.unsend_seconds, closed.can_unsend) == (0, False)
    later = queue_state(facts, _at(10 + 5 * WINDOW), WINDOW)
    assert (later.unsend_seconds, later.can_unsend) == (0, False)


# --- counts --------------------------------------------------------------------------------


def test_a_new_message_is_uncounted_with_nothing_pending():
    state = queue_state(QUEUED, _at(1), WINDOW)
    assert (state.total, state.pending, state.is_done, state.is_ready) == (-1, 0, False, True)
    assert (state.has_error, state.is_canceled, state.can_unsend) == (False, False, True)
    assert state.date == T0


def test_pending_is_what_is_left_to_deliver_once_counted():
    assert queue_state(_sending(), _at(20), WINDOW).pending == 10
    assert queue_state(_sending(sent_count=3, skipped_count=2), _at(20), WINDOW).pending == 5
    done = queue_state(_sending(sent_count=8, skipped_count=2, finished_at=_at(30)), _at(40), WINDOW)
    assert (done.pending, done.is_done, done.total) == (0, True, 10)


@given(st.integers(min_value=0, max_value=10**6), st.integers(min_value=0, max_value=10**6),
       st.integers(min_value=0, max_value=10**6))
def test_pending_is_never_negative(total, sent, skipped):
    state = queue_state(_sending(total=total, sent_count=sent, skipped_count=skipped), _at(20), WINDOW)
    assert state.pending == max(0, total - sent - skipped)


@given(st.integers(min_value=0, max_value=10**6))
def test_pending_stays_zero_while_total_is_minus_one(sent):
    assert queue_state(replace(QUEUED, sent_count=sent), _at(1), WINDOW).pending == 0


def test_date_is_sent_then_scheduled_then_created():
    scheduled = replace(QUEUED, scheduled_at=_at(500))
    assert queue_state(scheduled, _at(1), WINDOW).date == _at(500)
    assert queue_state(replace(scheduled, sent_at=_at(502)), _at(600), WINDOW).date == _at(502)
    assert queue_state(QUEUED, _at(1), WINDOW).date == T0


def test_readiness_and_errors_are_reported():
    assert queue_state(replace(QUEUED, media_ready=False), _at(1), WINDOW).is_ready is False
    failed = queue_state(_sending(error="The audience is empty"), _at(20), WINDOW)
    assert failed.has_error is True and failed.is_canceled is False


# --- canceled ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "facts",
    [
        replace(QUEUED, canceled_at=_at(5)),
        replace(QUEUED, scheduled_at=_at(500), canceled_at=_at(5)),
        _sending(sent_count=4, canceled_at=_at(20)),
        _sending(sent_count=10, finished_at=_at(30), canceled_at=_at(40)),
    ],
)
def test_a_canceled_message_has_nothing_pending_and_cannot_be_unsent_again(facts):
    state = queue_state(facts, _at(50), WINDOW)
    assert state.is_canceled is True and state.is_done is True
    assert (state.pending, state.can_unsend, state.unsend_seconds) == (0, False, 0)
    assert state.total == facts.total
    assert status(facts) == "canceled"


# --- status --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("facts", "word"),
    [
        (QUEUED, "queued"),
        (replace(QUEUED, scheduled_at=_at(500)), "scheduled"),
        (replace(QUEUED, saved_for_later=True), "saved"),
        (_sending(), "sending"),
        (_sending(sent_count=10, finished_at=_at(30)), "sent"),
        (_sending(error="boom"), "failed"),
        (_sending(error="boom", finished_at=_at(30)), "failed"),
        (_sending(error="boom", canceled_at=_at(30)), "canceled"),
        (replace(QUEUED, saved_for_later=True, canceled_at=_at(3)), "canceled"),
    ],
)
def test_status(facts, word):
    assert status(facts) == word


def test_a_message_canceled_mid_delivery_is_done_with_its_counts_as_they_stood():
    sending = _sending(sent_count=4, skipped_count=1)
    before = queue_state(sending, _at(20), WINDOW)
    assert (before.is_done, before.pending, before.total) == (False, 5, 10)
    canceled = replace(sending, canceled_at=_at(21))
    for later in (21, 22, 10 * WINDOW):  # and it stays so: nothing more will happen to it
        state = queue_state(canceled, _at(later), WINDOW)
        assert (state.is_done, state.is_canceled, state.pending, state.total) == (True, True, 0, 10)
        assert (state.can_unsend, state.unsend_seconds, state.has_error) == (False, 0, False)
    assert status(canceled) == "canceled"


@pytest.mark.parametrize("facts", [QUEUED, replace(QUEUED, scheduled_at=_at(500)),
                                   replace(QUEUED, saved_for_later=True), _sending(sent_count=9)])
def test_only_an_end_or_a_cancel_makes_a_message_done(facts):
    assert queue_state(facts, _at(50), WINDOW).is_done is False
    assert queue_state(replace(facts, canceled_at=_at(30)), _at(50), WINDOW).is_done is True
    assert queue_state(replace(facts, finished_at=_at(30)), _at(50), WINDOW).is_done is True
