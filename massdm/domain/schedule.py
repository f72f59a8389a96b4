"""The scheduling queue's window (SDK `queue.list` / `queue.count`): days in the caller's time zone.

The provider takes `publishDateStart` and `publishDateEnd` as dates (or date-times) in the
`timezone` given, an IANA name: the window runs from the start of the first day to the end of the
last, both in that zone, and may not begin before today there. Everything massdm stores is UTC,
so the window is turned into UTC bounds once, here, and each item's publish moment back into its
day in the zone; daylight-saving changes fall where the zone puts them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from massdm.errors import ValidationFailed

ItemType = Literal["chat", "post"]
ITEM_TYPES: tuple[ItemType, ...] = ("chat", "post")
DEFAULT_LIMIT = 20
MAX_LIMIT = 100
_FORMATS = ("%Y-%m-%d", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M")


@dataclass(frozen=True)
class Window:
    """[start, end) in UTC, and the zone its days are counted in."""

    start: datetime
    end: datetime
    zone: ZoneInfo

    def day_of(self, moment: datetime) -> str:
        """The day (Y-m-d) `moment` falls on in the window's zone."""
        return moment.astimezone(self.zone).date().isoformat()


def zone_named(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationFailed.field(
            "timezone", "The timezone field must be a valid time zone, such as Africa/Accra.") from None


def _moment(raw: str, field: str) -> tuple[datetime, bool]:
    """A naive local date-time, and whether only a date was given."""
    text = raw.strip()
    for number, layout in enumerate(_FORMATS):
        try:
            return datetime.strptime(text, layout), number == 0
        except ValueError:
            continue
    raise ValidationFailed.field(field, f"The {field} field must be a valid date (Y-m-d or Y-m-d H:i:s).")


def window(start: str, end: str, zone_name: str, now: datetime) -> Window:
    """The window the two dates name in `zone_name`, checked as the provider checks it: a real
    zone, real dates, the start not before today in that zone, the end not before the start."""
    zone = zone_named(zone_name)
    first, first_is_day = _moment(start, "publishDateStart")
    last, last_is_day = _moment(end, "publishDateEnd")
    if first.date() < now.astimezone(zone).date():
        raise ValidationFailed.field("publishDateStart", "The publishDateStart field must be a date after or equal "
                                                         "to today.")
    begin = datetime.combine(first.date(), time.min) if first_is_day else first
    # A bare end date takes in its whole day; an end with a time stops there (inclusive, to the second).
    finish = datetime.combine(last.date() + timedelta(days=1), time.min) if last_is_day else last + timedelta(seconds=1)
    if finish <= begin:
        raise ValidationFailed.field("publishDateEnd", "The publishDateEnd field must be a date after or equal to "
                                                       "publishDateStart.")
    return Window(start=_utc(begin, zone), end=_utc(finish, zone), zone=zone)


def _utc(local: datetime, zone: ZoneInfo) -> datetime:
    return local.replace(tzinfo=zone).astimezone(UTC)


def item_types(raw: list[str]) -> frozenset[ItemType]:
    """The `type` filter: `type[]=chat&type[]=post`, `type=chat,post` (the SDK's form) or repeated
    `type=`; none given means both."""
    values = [part.strip() for value in raw for part in value.split(",") if part.strip()]
    unknown = sorted(set(values) - set(ITEM_TYPES))
    if unknown:
        raise ValidationFailed.field("type", f"The type field must be chat or post (not {', '.join(unknown)}).")
    return frozenset(values or ITEM_TYPES)  # type: ignore[arg-type]  # checked against ITEM_TYPES above
