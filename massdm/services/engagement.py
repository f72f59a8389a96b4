"""Engagement: sent messages with their counts, the daily chart, the top message, its buyers.

Every read is O(page): the counts live on the message row, updated in the same
transaction as the per-fan facts they summarise.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection

from massdm.domain.dates import check_range, format_query_date, parse_end_date, parse_query_date
from massdm.errors import NotFound, ValidationFailed
from massdm.services.mass_messaging import Policy, describe
from massdm.store import deliveries as delivery_store
from massdm.store import messages as message_store
from massdm.store.deliveries import Buyer
from massdm.store.message_views import MessageView

MAX_CHART_DAYS = 366
DEFAULT_CHART_DAYS = 30


@dataclass(frozen=True)
class SentPage:
    views: list[MessageView]
    has_more: bool
    cursor: tuple[str, int] | None  # (endDate, beforeId) of the next page


def sent_messages(
    connection: Connection,
    account_id: str,
    *,
    start: str | None,
    end: str | None,
    before_id: int | None,
    query: str | None,
    limit: int,
    now: datetime,
    policy: Policy,
) -> SentPage:
    """Sent messages newest first, paged by endDate (see domain/dates.py) and, in next_page
    links, the id of the last item (the cursor's tie-breaker)."""
    start_at, end_at = parse_query_date(start, "startDate"), parse_end_date(end)
    check_range(start_at, end_at.at)
    messages, has_more = message_store.page_sent(
        connection, account_id, start=start_at, until=end_at.until, after_id=before_id,
        query=query or None, limit=limit,
    )
    cursor = None
    if messages:
        last = messages[-1]
        assert last.sent_at is not None
        cursor = (format_query_date(last.sent_at), last.id)
    return SentPage(describe(connection, messages, now, policy, named_fans=False), has_more, cursor)


@dataclass(frozen=True)
class Series:
    chart: list[tuple[str, float]]  # (day at 00:00 UTC as ISO, value)
    total: float | None
    delta: float | None


def _day_start(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def chart(
    connection: Connection, account_id: str, *, start: str | None, end: str | None, with_total: bool, now: datetime
) -> tuple[Series, Series]:
    """Mass messages sent and purchase revenue (USD) per UTC day, every day in range present.

    `delta` is this period's total minus the total of the equally long period just before it.
    """
    end_at = parse_query_date(end, "endDate") or now
    start_at = parse_query_date(start, "startDate") or (end_at - timedelta(days=DEFAULT_CHART_DAYS))
    check_range(start_at, end_at)
    first, last = _day_start(start_at), _day_start(end_at)
    days = (last - first).days + 1
    if days > MAX_CHART_DAYS:
        raise ValidationFailed.field("startDate", f"The chart covers at most {MAX_CHART_DAYS} days.")
    stop = last + timedelta(days=1)
    previous = first - timedelta(days=days)
    sent = message_store.sent_per_day(connection, account_id, previous, stop)
    revenue = delivery_store.revenue_per_day(connection, account_id, previous, stop)

    def series(per_day: dict[str, int], scale: float) -> Series:
        points = []
        for n in range(days):
            day = first + timedelta(days=n)
            points.append((day.isoformat(), per_day.get(day.date().isoformat(), 0) / scale))
        total = sum(v for _, v in points)
        before = sum(per_day.get((previous + timedelta(days=n)).date().isoformat(), 0) for n in range(days)) / scale
        return Series(points, total if with_total else None, (total - before) if with_total else None)

    return series(sent, 1), series(revenue, 100)


def top_message(
    connection: Connection, account_id: str, *, start: str | None, end: str | None, now: datetime, policy: Policy
) -> MessageView | None:
    """The paid mass message that earned most in the range (by its send date)."""
    start_at, end_at = parse_query_date(start, "startDate"), parse_end_date(end)
    check_range(start_at, end_at.at)
    best = message_store.top_by_revenue(connection, account_id, start=start_at, until=end_at.until)
    return describe(connection, [best], now, policy, named_fans=False)[0] if best else None


@dataclass(frozen=True)
class BuyersPage:
    buyers: list[Buyer]
    has_more: bool
    marker: int | None


def buyers(
    connection: Connection, account_id: str, message_id: int, *, limit: int, offset: int, marker: int | None
) -> BuyersPage:
    if message_store.get_message(connection, account_id, message_id) is None:
        raise NotFound(f"Mass message {message_id} was not found.")
    page, has_more = delivery_store.page_buyers(connection, message_id, after_marker=marker, offset=offset,
                                                limit=limit)
    return BuyersPage(page, has_more, page[-1].marker if page else marker)
