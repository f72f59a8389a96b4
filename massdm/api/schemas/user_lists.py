"""User lists on the wire (CONTRACT.md §5), and massdm's smart lists: a custom list with a `filter`."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import BeforeValidator, ConfigDict, Field, StrictBool, StrictInt

from massdm.api.schemas.common import IdLike, Text, WireModel
from massdm.api.schemas.fans import UserOut
from massdm.domain import fan_targeting
from massdm.domain.fan_targeting import MAX_MONTHS, MAX_USD
from massdm.domain.smart_lists import MAX_DAYS, MAX_HOURS, SmartFilter
from massdm.services.user_lists import ListView
from massdm.store.fans import Fan

WholeUsd = Annotated[StrictInt, Field(ge=0, le=MAX_USD)]
Days = Annotated[StrictInt, Field(ge=1, le=MAX_DAYS)]


class SmartListFilter(WireModel):
    """A smart list's filter: the fan listings' targeting filters, in the same units, and three windows.
    Every field is optional; fields not listed here are refused."""

    model_config = ConfigDict(extra="forbid", populate_by_name=False)  # camelCase only: `total_spent` is unknown

    total_spent: WholeUsd | None = Field(default=None, description="Minimum total spent, whole USD.")
    max_total_spent: Annotated[Decimal, Field(ge=0, le=MAX_USD, allow_inf_nan=False)] | None = Field(
        default=None, description="Maximum total spent, USD (0: fans who never spent).")
    tips: WholeUsd | None = Field(default=None, description="Minimum tips, whole USD.")
    duration: Annotated[StrictInt, Field(ge=0, le=MAX_MONTHS)] | None = Field(
        default=None, description="Minimum months subscribed (a month is 30 days).")
    online: StrictBool | None = Field(default=None, description="true: online fans; false: offline fans.")
    last_purchase_within_days: Days | None = Field(
        default=None, description="The fan bought something in the last N days.")
    no_purchase_within_days: Days | None = Field(default=None, description="The fan bought nothing in the last N days.")
    received_mass_message_within_hours: Annotated[StrictInt, Field(ge=1, le=MAX_HOURS)] | None = Field(
        default=None, description="Skip fans who received any mass message of this account in the last N hours.")

    def smart(self) -> SmartFilter:
        """The filter in the store's units."""
        return SmartFilter(
            min_spent_cents=None if self.total_spent is None else fan_targeting.at_least_cents(self.total_spent),
            max_spent_cents=None if self.max_total_spent is None else fan_targeting.at_most_cents(self.max_total_spent),
            min_tips_cents=None if self.tips is None else fan_targeting.at_least_cents(self.tips),
            min_months=self.duration or None,  # 0 months: every fan counts
            online=self.online,
            bought_within_days=self.last_purchase_within_days,
            not_bought_within_days=self.no_purchase_within_days,
            not_messaged_within_hours=self.received_mass_message_within_hours,
        )



class ListUserOut(WireModel):
    id: int
    username: str
    name: str
    avatar: str | None = None
    avatar_thumbs: dict[str, str] | None = None
    is_verified: bool = False
    view: str = "c"

    @classmethod
    def of(cls, fan: Fan) -> ListUserOut:
        return cls(id=fan.id, username=fan.username, name=fan.name)


class SmartListFilterOut(WireModel):
    """A smart list's filter as it applies: only the conditions it sets, amounts as JSON numbers."""

    total_spent: int | None = Field(default=None, exclude_if=lambda v: v is None)
    max_total_spent: float | None = Field(default=None, exclude_if=lambda v: v is None)
    tips: int | None = Field(default=None, exclude_if=lambda v: v is None)
    duration: int | None = Field(default=None, exclude_if=lambda v: v is None)
    online: bool | None = Field(default=None, exclude_if=lambda v: v is None)
    last_purchase_within_days: int | None = Field(default=None, exclude_if=lambda v: v is None)
    no_purchase_within_days: int | None = Field(default=None, exclude_if=lambda v: v is None)
    received_mass_message_within_hours: int | None = Field(default=None, exclude_if=lambda v: v is None)

    @classmethod
    def of(cls, smart: SmartFilter) -> SmartListFilterOut:
        def usd(cents: int | None) -> int | None:
            return None if cents is None else cents // 100  # the minimums are whole dollars
        return cls(
            total_spent=usd(smart.min_spent_cents),
            max_total_spent=None if smart.max_spent_cents is None else smart.max_spent_cents / 100,
            tips=usd(smart.min_tips_cents), duration=smart.min_months, online=smart.online,
            last_purchase_within_days=smart.bought_within_days,
            no_purchase_within_days=smart.not_bought_within_days,
            received_mass_message_within_hours=smart.not_messaged_within_hours,
        )


class UserListOut(WireModel):
    id: str | int
    type: str
    name: str
    users_count: int
    posts_count: int = 0
    can_update: bool
    can_delete: bool
    can_manage_users: bool
    can_add_users: bool
    can_pinned_to_feed: bool
    is_pinned_to_feed: bool
    can_pinned_to_chat: bool = False
    is_pinned_to_chat: bool = False
    order: str = "recent"
    direction: str = "desc"
    sort_list: list[dict[str, str]] = Field(default_factory=list)
    users: list[ListUserOut]
    # massdm's own: a smart list's filter (absent from lists of members, so the provider's shape stays).
    filter: SmartListFilterOut | None = Field(default=None, exclude_if=lambda v: v is None)

    @classmethod
    def of(cls, view: ListView, *, id_as_string: bool = False) -> UserListOut:
        editable = not view.is_system
        return cls(
            id=str(view.id) if id_as_string or view.is_system else view.id,
            type=view.type,
            name=view.name,
            users_count=view.users_count,
            can_update=editable,
            can_delete=editable,
            can_manage_users=editable,
            can_add_users=editable,
            can_pinned_to_feed=editable,
            is_pinned_to_feed=view.is_pinned_to_feed,
            users=[ListUserOut.of(f) for f in view.users],
            filter=None if view.filter is None else SmartListFilterOut.of(view.filter),
        )


class UserListCreate(WireModel):
    name: Annotated[Text, Field(min_length=1, max_length=64, description="At most 64 characters.")]
    filter: SmartListFilter | None = Field(
        default=None, description="massdm's own: a smart list, whose members are the fans this filter selects.")


class UserListUpdate(UserListCreate):
    is_pinned_to_feed: bool | None = None


def _split_ids(value: object) -> object:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    if isinstance(value, (int,)) and not isinstance(value, bool):
        return [value]
    return value


class UserListAddUsers(WireModel):
    ids: Annotated[list[IdLike], BeforeValidator(_split_ids), Field(min_length=1, max_length=10_000)]
    skip_invalid: bool = Field(default=False, alias="skip_invalid")


class UsersPageOut(WireModel):
    list: list[UserOut]
    has_more: bool
    next_offset: int | None


class UserStateOut(WireModel):
    id: str | int
    name: str
    type: str
    has_user: bool
    can_add_user: bool
    cannot_add_user_reason: str | None = None


class RemoveUserOut(WireModel):
    list: UserListOut
    user_state: UserStateOut


class AddUsersSkipOut(WireModel):
    added: list[int]
    failed: dict[str, str]
