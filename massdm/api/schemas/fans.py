"""Fans on the wire: the provider's user object, pages of them, and the platform's upsert body."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import Field

from massdm.api.schemas.common import IdLike, Instant, Text, WireModel, iso
from massdm.domain.audience import is_active
from massdm.services.fans import FanView, ListState
from massdm.store.fans import UPDATABLE, FanRecord


class ListStateOut(WireModel):
    id: str
    type: str
    name: str
    has_user: bool
    can_add_user: bool
    cannot_add_user_reason: str | None


class SubscribedOnData(WireModel):
    subscribe_at: str
    expired_at: str | None
    renewed_at: str | None = None
    status: str
    is_muted: bool


class UserOut(WireModel):
    """A fan as the provider's `user` object. massdm extras: isFollowing, isMuted, isTagged, isFriend."""

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
            subscribed_on_data=SubscribedOnData(
                subscribe_at=iso(fan.subscribed_at) or "",
                expired_at=iso(fan.expires_at),
                status="active" if active else "expired",
                is_muted=fan.muted,
            ),
            can_receive_chat_message=active,
            lists_states=[_list_state(s) for s in view.lists],
            is_following=fan.following,
            is_muted=fan.muted,
            is_tagged=fan.tagged,
            is_friend=fan.friend,
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


class FanPageOut(WireModel):
    list: list[UserOut]
    has_more: bool


Name = Annotated[Text, Field(max_length=200)]


class FanIn(WireModel):
    """One fan as the platform states it.

    Sending a known id again overwrites the fields you send and keeps the ones you omit;
    a new fan takes defaults for omitted fields (subscribedAt: now, autoRenew: true, flags: false).
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

    def record(self, now: datetime) -> FanRecord:
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
            provided=frozenset(self.model_fields_set & set(UPDATABLE)),
        )


class UpsertOut(WireModel):
    received: int
    created: int
    updated: int
