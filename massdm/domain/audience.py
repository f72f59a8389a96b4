"""Who a user list contains: the catalogue of system lists and the rules behind them.

System list membership is never stored; it is derived from fan state each time it is read
(see `store.fans.system_list_condition`), so it cannot drift from the fans themselves. Only
their member counts are kept, by every fan write (`store.fan_tallies`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from massdm.domain.ids import parse_db_id

RECENT_WINDOW = timedelta(hours=24)


@dataclass(frozen=True)
class SystemList:
    id: str
    name: str
    description: str


SYSTEM_LISTS: tuple[SystemList, ...] = (
    SystemList("fans", "Fans", "Active subscribers"),
    SystemList("recent", "Recent (last 24 hours)", "Active subscribers who subscribed in the last 24 hours"),
    SystemList("following", "Following", "Fans the creator follows"),
    SystemList("rebill_on", "Renew On", "Active subscribers with auto-renew on"),
    SystemList("rebill_off", "Renew Off", "Active subscribers with auto-renew off"),
    SystemList("tagged", "Tagged", "Fans tagged by the creator"),
    SystemList("friends", "Friends", "Fans marked as friends"),
    SystemList("muted", "Muted", "Fans the creator muted"),
)
SYSTEM_LIST_IDS: frozenset[str] = frozenset(s.id for s in SYSTEM_LISTS)
SYSTEM_LISTS_BY_ID: dict[str, SystemList] = {s.id: s for s in SYSTEM_LISTS}


def is_active(expires_at: datetime | None, now: datetime) -> bool:
    """A subscription is active when it has no end date or ends in the future."""
    return expires_at is None or expires_at > now


def subscribed_duration(subscribed_at: datetime, expires_at: datetime | None, now: datetime) -> str:
    """How long a fan has been subscribed, in the provider's words ("5 months"): whole calendar months
    from the start to now, or to the end once that has passed. A subscription is in its first month
    from the moment it starts, so the least is "1 month"."""
    end = now if is_active(expires_at, now) else expires_at
    assert end is not None
    months = (end.year - subscribed_at.year) * 12 + end.month - subscribed_at.month
    if (end.day, end.timetz()) < (subscribed_at.day, subscribed_at.timetz()):
        months -= 1  # the last month has not come round yet
    months = max(months, 1)
    return f"{months} month" if months == 1 else f"{months} months"


def recent_cutoff(now: datetime) -> datetime:
    return now - RECENT_WINDOW


def parse_list_id(raw: str | int) -> str | int | None:
    """A list id from the wire: a system list name, or a custom list's positive integer id.

    Returns None when it is neither (the caller decides whether that is a 404 or a 422).
    """
    text = str(raw).strip()
    return text if text in SYSTEM_LIST_IDS else parse_db_id(text)
