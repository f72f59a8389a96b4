"""Fans on the wire: the provider's user object, pages of them, and the platform's upsert body.
Money is USD on the wire (numbers, e.g. 12.5) and cents inside. The listings' filters: fan_filters."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, Field

from massdm.api.schemas.common import IdLike, Instant, Text, WireModel, iso
from massdm.domain import fan_targeting
from massdm.domain.audience import is_active
from massdm.domain.fan_targeting import MAX_USD
from massdm.services.fans import FanView, ListState
from massdm.store.fans import UPDATABLE, Fan, FanRecord


def usd(cents: int) -> int | float:
    """Cents as a USD number: whole dollars as an integer (the SDK's types say int), else two decimals."""
    return cents // 100 if cents % 100 == 0 else round(cents / 100, 2)


class ListStateOut(WireModel):
    id: str
    type: str
    name: str
    has_user: bool
    can_add_user: bool
    cannot_add_user_reason: str | None


class SubscribedOnData(WireModel):
    """The subscription, and what the fan spent (USD): messagesSumm is massdm's own mass-message purchases,
    tipsSumm and subscribesSumm as the platform sent them, totalSumm their sum."""

    subscribe_at: str
    expired_at: str | None
    renewed_at: str | None = None
    status: str
    is_muted: bool
    total_summ: int | float
    messages_summ: int | float
    tips_summ: int | float
    subscribes_summ: int | float
    posts_summ: int | float = 0
    streams_summ: int | float = 0

    @classmethod
    def of(cls, fan: Fan, active: bool) -> SubscribedOnData:
        return cls(subscribe_at=iso(fan.subscribed_at) or "", expired_at=iso(fan.expires_at),
                   status="active" if active else "expired", is_muted=fan.muted,
                   total_summ=usd(fan.total_spent_cents), messages_summ=usd(fan.purchases_cents),
                   tips_summ=usd(fan.tips_cents), subscribes_summ=usd(fan.subscriptions_cents))


class UserOut(WireModel):
    """A fan as the provider's `user` object. massdm extras: isFollowing, isMuted, isTagged, isFriend, isOnline."""

    id: int
    username: str
    name: str
    display_name: str
    avatar: str | None = None
    avatar_thumbs: dict[str, str] | None = None
    is_verified: bool = False
    view: str = "c"
    subscribed_by: bool
    subscribed_by_expire: bool
    subscribed_by_expire_date: str | None
    subscribed_by_autoprolong: bool
    subscribed_is_expired_now: bool
    subscribed_on: bool
    subscribed_on_expired_now: bool
    subscribed_on_data: SubscribedOnData
    can_receive_chat_message: bool
    lists_states: list[ListStateOut]
    last_seen: str | None = None
    is_following: bool
    is_muted: bool
    is_tagged: bool
    is_friend: bool
    is_online: bool

    @classmethod
    def of(cls, view: FanView, now: datetime) -> UserOut:
        fan = view.fan
        active = is_active(fan.expires_at, now)
        return cls(
            id=fan.id,
            username=fan.username,
            name=fan.name,
            display_name=fan.name,
            subscribed_by=active,
            subscribed_by_expire=fan.expires_at is not None,
            subscribed_by_expire_date=iso(fan.expires_at),
            subscribed_by_autoprolong=fan.auto_renew,
            subscribed_is_expired_now=not active,
            subscribed_on=active,
            subscribed_on_expired_now=not active,
            subscribed_on_data=SubscribedOnData.of(fan, active),
            can_receive_chat_message=active,
            lists_states=[_list_state(s) for s in view.lists],
            last_seen=iso(fan.last_seen_at),
            is_following=fan.following,
            is_muted=fan.muted,
            is_tagged=fan.tagged,
            is_friend=fan.friend,
            is_online=fan.online,
        )


def _list_state(state: ListState) -> ListStateOut:
    return ListStateOut(
        id=str(state.id),
        type=state.type,
        name=state.name,
        has_user=state.has_user,
        can_add_user=not state.is_system and not state.has_user,
        cannot_add_user_reason="SYSTEM_LIST" if state.is_system else None,
    )


class SourceOut(BaseModel):
    """What a page filtered by filter[max_total_spent] was answered from: massdm's own fans, always all of them."""

    is_complete: bool = True
    omitted_from_page: int = 0


class FanPageOut(WireModel):
    list: list[UserOut]
    has_more: bool
    source: SourceOut | None = Field(default=None, alias="_source", exclude_if=lambda v: v is None)


Name = Annotated[Text, Field(max_length=200)]
# An absolute total the platform states, USD exact to the cent: sending it again changes nothing.
Money = Annotated[Decimal, Field(ge=0, le=MAX_USD, decimal_places=2, allow_inf_nan=False)]
# wire field -> record field
_RECORD_FIELD = {"tips_summ": "tips_cents", "subscribes_summ": "subscriptions_cents", "last_seen": "last_seen_at"}


class FanIn(WireModel):
    """One fan as the platform states it.

    Sending a known id again overwrites the fields you send and keeps the ones you omit;
    a new fan takes defaults for omitted fields (subscribedAt: now, autoRenew: true, flags: false,
    online: false, tips and subscriptions: 0, lastSeen: not known). What the fan bought in massdm is massdm's own count.
    """

    id: IdLike
    username: Annotated[Name, Field(min_length=1)]
    name: Name | None = None
    subscribed_at: Instant | None = Field(default=None, description="When the subscription started; default now.")
    expires_at: Instant | None = Field(default=None, description="When it ends; unset or future = active.")
    auto_renew: bool = True
    following: bool = False
    muted: bool = False
    tagged: bool = False
    friend: bool = False
    online: bool = Field(default=False, description="Whether the fan is online now (filter[online]).")
    tips_summ: Money = Field(default=Decimal(0), description="The fan's tips in all, USD (filter[tips]).")
    subscribes_summ: Money = Field(default=Decimal(0), description="What the fan paid for subscriptions in all, USD.")
    last_seen: Instant | None = Field(default=None, description="When the fan was last online (the user "
                                      "object's lastSeen); unset: not known.")

    def record(self, now: datetime) -> FanRecord:
        given = {_RECORD_FIELD.get(name, name) for name in self.model_fields_set}
        return FanRecord(
            id=int(self.id),
            username=self.username,
            name=self.name if self.name is not None else self.username,
            subscribed_at=self.subscribed_at or now,
            expires_at=self.expires_at,
            auto_renew=self.auto_renew,
            following=self.following,
            muted=self.muted,
            tagged=self.tagged,
            friend=self.friend,
            online=self.online,
            tips_cents=fan_targeting.cents_of(self.tips_summ, "tipsSumm"),
            subscriptions_cents=fan_targeting.cents_of(self.subscribes_summ, "subscribesSumm"),
            last_seen_at=self.last_seen,
            provided=frozenset(given & set(UPDATABLE)),
        )


class UpsertOut(WireModel):
    received: int
    created: int
    updated: int
