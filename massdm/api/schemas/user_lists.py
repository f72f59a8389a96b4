"""User lists on the wire (CONTRACT.md §5)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BeforeValidator, Field

from massdm.api.schemas.common import IdLike, Text, WireModel
from massdm.api.schemas.fans import UserOut
from massdm.services.user_lists import ListView
from massdm.store.fans import Fan


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
        )


class UserListCreate(WireModel):
    name: Annotated[Text, Field(min_length=1, max_length=64, description="At most 64 characters.")]


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
