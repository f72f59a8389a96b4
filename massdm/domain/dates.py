"""Dates as the contract writes them in queries: `Y-m-d H:i:s`, UTC.

An `endDate` bounds a message's send date at the precision it is given in: to the second, it
takes in that whole second; with a fraction of a second (as the sent lists' item dates carry) it
is that very instant, itself left out, so the oldest item's date is the next page's endDate.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from massdm.errors import ValidationFailed

QUERY_FORMAT = "%Y-%m-%d %H:%M:%S"
_FRACTION = re.compile(r":\d\d[.,]\d")


@dataclass(frozen=True)
class EndDate:
    at: datetime | None  # as given (None: no endDate)
    until: datetime | None  # the first instant past the range (None: no bound)


def parse_query_date(raw: str | None, field: str) -> datetime | None:
    """`2026-02-06 01:26:15` (or ISO 8601, or a bare date) as an aware UTC datetime."""
    if raw is None or not raw.strip():
        return None
    text = raw.strip()
    try:
        moment = datetime.strptime(text, QUERY_FORMAT)
    except ValueError:
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise ValidationFailed.field(field, f"The {field} must be a date like 2026-02-06 01:26:15 (UTC).") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except (OverflowError, ValueError):
        raise ValidationFailed.field(field, f"The {field} is outside the supported range.") from None


def parse_end_date(raw: str | None, field: str = "endDate") -> EndDate:
    at = parse_query_date(raw, field)
    if raw is None or at is None:
        return EndDate(None, None)
    if _FRACTION.search(raw):
        return EndDate(at, at)
    try:
        return EndDate(at, at + timedelta(seconds=1))
    except OverflowError:
        return EndDate(at, None)


def format_query_date(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime(QUERY_FORMAT)


def check_range(start: datetime | None, end: datetime | None) -> None:
    if start is not None and end is not None and end <= start:
        raise ValidationFailed.field("endDate", "The endDate must be after the startDate.")
