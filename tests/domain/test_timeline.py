"""Time buckets for a campaign's chart: the size fits the span in at most MAX_BUCKETS, starts are aligned."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from massdm.domain import timeline

T = datetime(2026, 3, 1, 12, 34, 56, 789_000, tzinfo=UTC)


@pytest.mark.parametrize(("span", "size"), [
    (timedelta(0), timedelta(minutes=1)),
    (timedelta(minutes=40), timedelta(minutes=1)),
    (timedelta(minutes=50), timedelta(minutes=5)),
    (timedelta(hours=3), timedelta(minutes=5)),
    (timedelta(hours=5), timedelta(minutes=15)),
    (timedelta(hours=20), timedelta(hours=1)),
    (timedelta(days=3), timedelta(hours=3)),
    (timedelta(days=30), timedelta(days=1)),
    (timedelta(days=4000), timedelta(days=7)),
])
def test_the_smallest_size_that_fits_the_span_is_chosen(span, size):
    chosen = timeline.choose_bucket(T, T + span)
    assert chosen == size
    origin = timeline.bucket_start(T, chosen)
    assert timeline.bucket_index(T + span, origin, chosen) < timeline.MAX_BUCKETS or size == timedelta(days=7)


def test_buckets_start_on_whole_units_and_hold_their_moments():
    hour = timedelta(hours=1)
    assert timeline.bucket_start(T, hour) == datetime(2026, 3, 1, 12, tzinfo=UTC)
    assert timeline.bucket_start(T, timedelta(days=1)) == datetime(2026, 3, 1, tzinfo=UTC)
    assert timeline.bucket_start(T, timedelta(minutes=15)) == datetime(2026, 3, 1, 12, 30, tzinfo=UTC)
    origin = timeline.bucket_start(T, hour)
    assert timeline.bucket_index(origin + hour - timedelta(microseconds=1), origin, hour) == 0
    assert timeline.bucket_index(origin + hour, origin, hour) == 1


def test_sizes_are_described_in_words():
    assert [timeline.describe_size(s) for s in (timedelta(minutes=1), timedelta(minutes=15), timedelta(hours=1),
                                                timedelta(hours=6), timedelta(days=1), timedelta(days=7))] == [
        "1 minute", "15 minutes", "1 hour", "6 hours", "1 day", "1 week"]
