"""Engagement on the wire (CONTRACT.md §4): the chart, the top message, buyers.

The chart counts messages in integers (the SDK types them `int`: `2`, never `2.0`) and purchases
in USD, as numbers with cents.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Generic, TypeVar

from pydantic import BaseModel

from massdm.api.schemas.common import WireModel, iso
from massdm.api.schemas.mass_messaging import MessageItemOut
from massdm.domain.audience import is_active, subscribed_duration
from massdm.domain.messages import format_price
from massdm.services.engagement import Series
from massdm.store.deliveries import Buyer

N = TypeVar("N", int, float)


class ChartPoint(BaseModel, Generic[N]):
    date: str
    count: N


class ChartSeries(BaseModel, Generic[N]):
    chart: list[ChartPoint[N]]
    total: N | None
    delta: N | None


def _series(model: type[ChartSeries[N]], series: Series, number: Callable[[float], N]) -> ChartSeries[N]:
    total, delta = series.total, series.delta
    return model(chart=[ChartPoint(date=d, count=number(v)) for d, v in series.chart],
                 total=None if total is None else number(total), delta=None if delta is None else number(delta))


def sent_series(series: Series) -> ChartSeries[int]:
    return _series(ChartSeries[int], series, round)


def revenue_series(series: Series) -> ChartSeries[float]:
    return _series(ChartSeries[float], series, lambda v: round(v, 2))


class ChartOut(BaseModel):
    group_messages: ChartSeries[int]
    group_messages_purchases: ChartSeries[float]


class Link(BaseModel):
    href: str
    method: str = "GET"


class Relationships(BaseModel):
    buyers: Link


class TopMessageOut(MessageItemOut):
    total_revenue_generated: str
    relationships: Relationships


class TopOut(WireModel):
    purchases: TopMessageOut | None


class BuyerOut(WireModel):
    """A fan who bought the message, with every field of the SDK's buyer (`DataList` of
    `MessageGetMessageBuyersResponse`); `purchasedAt` and `paidAmount` are massdm extras.

    The subscription fields mean what they mean in the fans' user object (docs/fans-and-lists.md):
    `subscribedOn` is a flag there and here, though the SDK types it a string (from a null example).
    The rest are profile, presence, story, stream, tip and price facts of the fan that massdm keeps no
    record of: null, as the contract documents no default for them."""

    id: int
    username: str
    name: str
    display_name: str
    avatar: str | None = None
    avatar_thumbs: str | None = None
    is_verified: bool = False
    view: str = "c"
    is_active: bool
    subscribed_by: bool
    subscribed_by_expire: bool
    subscribed_by_expire_date: str | None
    subscribed_by_autoprolong: bool
    subscribed_is_expired_now: bool
    subscribed_on: bool
    subscribed_on_expired_now: bool
    subscribed_on_duration: str
    last_seen: str | None = None
    header: str | None = None
    header_size: str | None = None
    header_thumbs: str | None = None
    notice: str | None = None
    is_restricted: bool | None = None
    can_restrict: bool | None = None
    can_report: bool | None = None
    can_earn: bool | None = None
    can_add_subscriber: bool | None = None
    can_pay_internal: bool | None = None
    can_look_story: bool | None = None
    can_comment_story: bool | None = None
    has_stories: bool | None = None
    has_not_viewed_story: bool | None = None
    has_stream: bool | None = None
    has_scheduled_stream: bool | None = None
    show_media_count: bool | None = None
    subscribe_price: int | None = None
    current_subscribe_price: int | None = None
    tips_enabled: bool | None = None
    tips_text_enabled: bool | None = None
    tips_min: int | None = None
    tips_min_internal: int | None = None
    tips_max: int | None = None
    purchased_at: str
    paid_amount: str

    @classmethod
    def of(cls, buyer: Buyer, now: datetime) -> BuyerOut:
        active = is_active(buyer.expires_at, now)
        return cls(
            id=buyer.fan_id, username=buyer.username, name=buyer.name, display_name=buyer.name,
            is_active=active, subscribed_by=active, subscribed_by_expire=buyer.expires_at is not None,
            subscribed_by_expire_date=iso(buyer.expires_at), subscribed_by_autoprolong=buyer.auto_renew,
            subscribed_is_expired_now=not active, subscribed_on=active, subscribed_on_expired_now=not active,
            subscribed_on_duration=subscribed_duration(buyer.subscribed_at, buyer.expires_at, now),
            last_seen=iso(buyer.last_seen_at),
            purchased_at=iso(buyer.purchased_at) or "", paid_amount=format_price(buyer.amount_cents),
        )


class BuyersOut(WireModel):
    list: list[BuyerOut]
    marker: int | None
    has_more: bool
