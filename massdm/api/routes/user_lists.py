"""User lists (CONTRACT.md §5): system lists derived from fan state, custom lists of chosen fans."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request

from massdm.api.caller import Metered
from massdm.api.responses import ERRORS
from massdm.api.routing import UnitOfWorkRoute
from massdm.api.schemas.common import Envelope, PagedEnvelope, SuccessOut
from massdm.api.schemas.fans import UserOut
from massdm.api.schemas.user_lists import (
    AddUsersSkipOut,
    RemoveUserOut,
    UserListAddUsers,
    UserListCreate,
    UserListOut,
    UserListUpdate,
    UsersPageOut,
    UserStateOut,
)
from massdm.api.urls import page_url
from massdm.domain.ids import MAX_DB_ID
from massdm.services import user_lists as list_service

router = APIRouter(tags=["User Lists"], route_class=UnitOfWorkRoute, responses=ERRORS)

ListId = Annotated[str, Path(description="`fans`, `recent`, ... or a custom list's numeric id.")]
UserId = Annotated[int, Path(ge=1, le=MAX_DB_ID, description="The fan's id.")]


@router.get("/api/{account}/user-lists", response_model=PagedEnvelope[list[UserListOut]], summary="List user lists")
def list_user_lists(
    request: Request,
    caller: Metered,
    limit: Annotated[int, Query(ge=10, le=50, description="Lists per page (10-50).")] = 10,
    offset: Annotated[int, Query(ge=0, le=2**62)] = 0,
    view: Annotated[Literal["queue"] | None, Query(description="`queue`: lists usable for mass messages.")] = None,
) -> PagedEnvelope[list[UserListOut]]:
    views, has_more = list_service.list_lists(caller.connection, caller.account.id, limit=limit, offset=offset,
                                              now=caller.now)
    data = [UserListOut.of(v, id_as_string=True) for v in views]
    next_page = page_url(request, offset=offset + limit, limit=limit) if has_more else None
    return PagedEnvelope.page(data, next_page, caller.charge())


@router.post("/api/{account}/user-lists", response_model=Envelope[UserListOut], summary="Create a user list",
             description="With `filter` (massdm's own), a smart list: its members are the fans the filter selects "
                         "when it is read or a message goes out; none can be added or removed by hand.")
def create_user_list(
    body: UserListCreate, caller: Metered
) -> Envelope[UserListOut]:
    view = list_service.create_list(caller.connection, caller.account.id, body.name, caller.now,
                                    None if body.filter is None else body.filter.smart())
    return Envelope(data=UserListOut.of(view), meta=caller.charge())


@router.get("/api/{account}/user-lists/{list_id}", response_model=Envelope[UserListOut], summary="Get a user list")
def get_user_list(
    list_id: ListId, caller: Metered
) -> Envelope[UserListOut]:
    view = list_service.get_list(caller.connection, caller.account.id, list_id, caller.now)
    return Envelope(data=UserListOut.of(view), meta=caller.charge())


@router.put("/api/{account}/user-lists/{list_id}", response_model=Envelope[UserListOut], summary="Update a user list")
def update_user_list(
    list_id: ListId, body: UserListUpdate, caller: Metered
) -> Envelope[UserListOut]:
    view = list_service.update_list(
        caller.connection, caller.account.id, list_id, name=body.name, is_pinned_to_feed=body.is_pinned_to_feed,
        now=caller.now, smart=None if body.filter is None else body.filter.smart(),
    )
    return Envelope(data=UserListOut.of(view), meta=caller.charge())


@router.delete("/api/{account}/user-lists/{list_id}", response_model=Envelope[SuccessOut], summary="Delete a user list")
def delete_user_list(list_id: ListId, caller: Metered) -> Envelope[SuccessOut]:
    list_service.delete_list(caller.connection, caller.account.id, list_id)
    return Envelope(data=SuccessOut(), meta=caller.charge())


@router.get(
    "/api/{account}/user-lists/{list_id}/users",
    response_model=Envelope[UsersPageOut],
    summary="Fans in a user list",
)
def list_user_list_users(
    list_id: ListId,
    caller: Metered,
    limit: Annotated[int, Query(ge=1, le=100, description="Fans per page (1-100).")] = 10,
    offset: Annotated[int, Query(ge=0, le=2**62)] = 0,
) -> Envelope[UsersPageOut]:
    now = caller.now
    members = list_service.list_members(caller.connection, caller.account.id, list_id, limit=limit, offset=offset,
                                        now=now)
    data = UsersPageOut(
        list=[UserOut.of(v, now) for v in members.page.fans],
        has_more=members.page.has_more,
        next_offset=members.next_offset,
    )
    return Envelope(data=data, meta=caller.charge())


@router.post(
    "/api/{account}/user-lists/{list_id}/users",
    response_model=Envelope[dict[str, list[int]] | AddUsersSkipOut],
    summary="Add fans to a user list",
    description="Returns `{\"<listId>\": [ids added]}`; with `skip_invalid: true`, `{added, failed}` instead.",
)
def add_user_list_users(
    list_id: ListId, body: UserListAddUsers, caller: Metered
) -> Envelope[dict[str, list[int]] | AddUsersSkipOut]:
    result = list_service.add_members(
        caller.connection, caller.account.id, list_id, [int(i) for i in body.ids], skip_invalid=body.skip_invalid,
        now=caller.now,
    )
    if body.skip_invalid:
        skipped = AddUsersSkipOut(added=result.added, failed={str(k): v for k, v in result.failed.items()})
        return Envelope(data=skipped, meta=caller.charge())
    return Envelope(data={str(result.list_id): result.added}, meta=caller.charge())


@router.delete(
    "/api/{account}/user-lists/{list_id}/users/{user_id}",
    response_model=Envelope[RemoveUserOut],
    summary="Remove a fan from a user list",
)
def remove_user_list_user(
    list_id: ListId, user_id: UserId, caller: Metered
) -> Envelope[RemoveUserOut]:
    view = list_service.remove_member(caller.connection, caller.account.id, list_id, user_id, caller.now)
    state = UserStateOut(id=view.id, name=view.name, type=view.type, has_user=False, can_add_user=True)
    return Envelope(data=RemoveUserOut(list=UserListOut.of(view), user_state=state), meta=caller.charge())


@router.delete(
    "/api/{account}/user-lists/{list_id}/users",
    response_model=Envelope[UserListOut],
    summary="Remove every fan from a user list",
)
def clear_user_list_users(
    list_id: ListId, caller: Metered
) -> Envelope[UserListOut]:
    view = list_service.clear_members(caller.connection, caller.account.id, list_id, caller.now)
    return Envelope(data=UserListOut.of(view), meta=caller.charge())
