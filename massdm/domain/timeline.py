"""Time buckets for a campaign's activity over time: a bucket size chosen from the span the activity
covers, and the bucket starts, aligned to whole multiples of the size since the Unix epoch (so an
hour starts on the hour and a day at 00:00 UTC)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

# The sizes a chart may use, smallest first; the first that fits the span in MAX_BUCKETS wins.
BUCKET_SIZES = (
    timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=15), timedelta(hours=1), timedelta(hours=3),
    timedelta(hours=6), timedelta(hours=12), timedelta(days=1), timedelta(days=7),
)
MAX_BUCKETS = 48
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_SECOND = timedelta(seconds=1)


def choose_bucket(first: datetime, last: datetime) -> timedelta:
    """The smallest size that shows `first`..`last` in at most MAX_BUCKETS buckets (the largest size
    for anything longer)."""
    for size in BUCKET_SIZES:
        if bucket_index(last, bucket_start(first, size), size) < MAX_BUCKETS:
            return size
    return BUCKET_SIZES[-1]


def bucket_start(moment: datetime, size: timedelta) -> datetime:
    """The start of the bucket of `size` that holds `moment`."""
    whole = (moment - EPOCH) // _SECOND
    return EPOCH + timedelta(seconds=whole - whole % (size // _SECOND))


def bucket_index(moment: datetime, origin: datetime, size: timedelta) -> int:
    """Which bucket after `origin` (0 = the one starting there) holds `moment`, in whole seconds."""
    return ((moment - origin) // _SECOND) // (size // _SECOND)


def describe_size(size: timedelta) -> str:
    """"1 minute", "15 minutes", "1 hour", "1 day"…, for a chart's caption."""
    seconds = size // _SECOND
    for unit, length in (("week", 604800), ("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds % length == 0:
            n = seconds // length
            return f"{n} {unit}" if n == 1 else f"{n} {unit}s"
    return f"{seconds} seconds"
