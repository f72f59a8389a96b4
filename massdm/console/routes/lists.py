"""Audience: an account's user lists with their member counts, a list's members, creating a list and
adding or removing members, through the same services (and with the same messages) as /user-lists.

Console pages are free: no credits are charged and the API's rate limits do not apply.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field
from starlette.responses import Response

from massdm.api.schemas.user_lists import SmartListFilterOut, UserListAddUsers, UserListCreate
from massdm.console.api_rules import checked
from massdm.console.routes.fans import fan_rows, page_link
from massdm.console.unit import ConsoleCall, console_page, form_page
from massdm.domain.audience import SYSTEM_LISTS_BY_ID
from massdm.domain.ids import parse_db_id
from massdm.errors import MassdmError, NotFound, ValidationFailed
from massdm.services import user_lists as list_service
from massdm.services.user_lists import ListView
from massdm.store.accounts import Account

router = APIRouter(include_in_schema=False)

_SEPARATORS = re.compile(r"[\s,]+")


class ListsQuery(BaseModel):
    """The API's bounds for GET /user-lists (limit 10-50)."""

    limit: Annotated[int, Field(ge=10, le=50)] = 50
    offset: Annotated[int, Field(ge=0, le=2**62)] = 0


class MembersQuery(BaseModel):
    """The API's bounds for GET /user-lists/{id}/users (limit 1-100)."""

    limit: Annotated[int, Field(ge=1, le=100)] = 50
    offset: Annotated[int, Field(ge=0, le=2**62)] = 0


@dataclass(frozen=True)
class ListRow:
    id: str
    name: str
    kind: str  # System, Custom or Smart
    users_count: int
    about: str
    href: str


def _kind(view: ListView) -> str:
    if view.is_system:
        return "System"
    return "Smart" if view.filter is not None else "Custom"


def _about(view: ListView) -> str:
    if view.is_system:
        return SYSTEM_LISTS_BY_ID[str(view.id)].description
    if view.filter is not None:
        shown = SmartListFilterOut.of(view.filter).model_dump(by_alias=True, exclude_none=True)
        return "Fans whose " + ", ".join(f"{name} is {value}" for name, value in shown.items())
    return "Fans chosen by hand"


def _row(account: Account, view: ListView) -> ListRow:
    return ListRow(str(view.id), view.name, _kind(view), view.users_count, _about(view),
                   f"/console/accounts/{account.id}/lists/{view.id}")


def _raw(call: ConsoleCall, name: str) -> str:
    """A form field as typed (the API's checks, not the console, decide what blanks mean)."""
    value = call.form.get(name) if call.form is not None else None
    return value if isinstance(value, str) else ""


def _lists_page(call: ConsoleCall, account: Account, given: dict[str, str], *, name: str = "",
                errors: dict[str, list[str]] | None = None, status_code: int = 200) -> Response:
    context: dict[str, Any] = {"rows": [], "name": name, "errors": errors or {}, "query_errors": {},
                               "previous_page": None, "next_page": None}
    try:
        query = checked(ListsQuery, given, location="query")
    except ValidationFailed as invalid:
        context["query_errors"] = invalid.errors or {}
        return call.page("audience/lists.html", context, account=account, status_code=invalid.status_code)
    views, has_more = list_service.list_lists(call.connection, account.id, limit=query.limit, offset=query.offset,
                                              now=call.now)
    path = f"/console/accounts/{account.id}/lists"
    limit = None if query.limit == ListsQuery.model_fields["limit"].default else query.limit
    context.update(
        rows=[_row(account, v) for v in views],
        next_page=page_link(path, limit=limit, offset=query.offset + query.limit) if has_more else None,
        previous_page=(page_link(path, limit=limit, offset=max(0, query.offset - query.limit) or None)
                       if query.offset > 0 else None),
    )
    return call.page("audience/lists.html", context, account=account, status_code=status_code)


@router.get("/console/accounts/{account_id}/lists")
async def lists_page(request: Request, account_id: str) -> Response:
    given = dict(request.query_params)
    return await console_page(request, "read", lambda call: _lists_page(call, call.account(account_id), given))


@router.post("/console/accounts/{account_id}/lists")
async def create_list(request: Request, account_id: str) -> Response:
    """A custom list of chosen fans (smart lists, with a filter, are the API's: PUT/POST /user-lists)."""

    def work(call: ConsoleCall) -> Response:
        account = call.account(account_id)
        name = _raw(call, "name")
        try:
            body = checked(UserListCreate, {"name": name}, location="body")
            view = list_service.create_list(call.connection, account.id, body.name, call.now)
        except ValidationFailed as invalid:
            return _lists_page(call, account, {}, name=name, errors=invalid.errors, status_code=invalid.status_code)
        return call.redirect(f"/console/accounts/{account.id}/lists/{view.id}?created=1")

    return await form_page(request, work)


def _list_page(call: ConsoleCall, account: Account, list_id: str, given: dict[str, str], *, ids: str = "",
               errors: dict[str, list[str]] | None = None, status_code: int = 200) -> Response:
    view = list_service.get_list(call.connection, account.id, list_id, call.now)  # NotFound: a 404 page
    context: dict[str, Any] = {
        "list": _row(account, view), "editable": not view.is_system and view.filter is None, "ids": ids,
        "errors": errors or {}, "query_errors": {}, "rows": [], "first": 0, "previous_page": None,
        "next_page": None, "notice": _notice(given),
    }
    try:
        query = checked(MembersQuery, {k: v for k, v in given.items() if k in ("limit", "offset")}, location="query")
    except ValidationFailed as invalid:
        context["query_errors"] = invalid.errors or {}
        return call.page("audience/list.html", context, account=account, status_code=invalid.status_code)
    members = list_service.list_members(call.connection, account.id, list_id, limit=query.limit,
                                        offset=query.offset, now=call.now)
    path = context["list"].href
    limit = None if query.limit == MembersQuery.model_fields["limit"].default else query.limit
    context.update(
        rows=fan_rows(members.page.fans, account.id, call.now), first=query.offset,
        next_page=page_link(path, limit=limit, offset=members.next_offset) if members.next_offset else None,
        previous_page=(page_link(path, limit=limit, offset=max(0, query.offset - query.limit) or None)
                       if query.offset > 0 else None),
    )
    return call.page("audience/list.html", context, account=account, status_code=status_code)


def _notice(given: dict[str, str]) -> str | None:
    """What the form post that led here did, as its redirect's query says (numbers only)."""
    added, removed = given.get("added", ""), parse_db_id(given.get("removed", ""))
    if given.get("created"):
        return "List created. Add fans to it by their ids."
    if added.isascii() and added.isdigit():
        return f"Added {int(added):,} fan{'' if int(added) == 1 else 's'} to this list."
    if removed is not None:
        return f"Removed fan {removed} from this list."
    return None


@router.get("/console/accounts/{account_id}/lists/{list_id}")
async def list_page(request: Request, account_id: str, list_id: str) -> Response:
    given = dict(request.query_params)
    return await console_page(request, "read",
                              lambda call: _list_page(call, call.account(account_id), list_id, given))


@router.post("/console/accounts/{account_id}/lists/{list_id}/members")
async def add_members(request: Request, account_id: str, list_id: str) -> Response:
    """Fan ids, separated by commas, spaces or new lines, checked as POST .../users checks `ids`."""

    def work(call: ConsoleCall) -> Response:
        account = call.account(account_id)
        typed = _raw(call, "ids")
        list_service.get_list(call.connection, account.id, list_id, call.now)  # an unknown list: a 404 page
        try:
            body = checked(UserListAddUsers, {"ids": _SEPARATORS.sub(",", typed).strip(",")}, location="body")
            result = list_service.add_members(call.connection, account.id, list_id, [int(i) for i in body.ids],
                                              skip_invalid=False, now=call.now)
        except MassdmError as refused:
            return _list_page(call, account, list_id, {}, ids=typed, errors=_errors_of(refused),
                              status_code=refused.status_code)
        return call.redirect(page_link(f"/console/accounts/{account.id}/lists/{result.list_id}",
                                       added=len(result.added)))

    return await form_page(request, work)


@router.post("/console/accounts/{account_id}/lists/{list_id}/members/remove")
async def remove_member(request: Request, account_id: str, list_id: str) -> Response:
    """One fan out of the list, as DELETE .../users/{userId}."""

    def work(call: ConsoleCall) -> Response:
        account = call.account(account_id)
        raw = _raw(call, "fan_id")
        fan_id = parse_db_id(raw)
        list_service.get_list(call.connection, account.id, list_id, call.now)  # an unknown list: a 404 page
        try:
            if fan_id is None:
                raise NotFound(f"No user has the id {raw}.")  # as the API answers a userId that is no id
            list_service.remove_member(call.connection, account.id, list_id, fan_id, call.now)
        except MassdmError as refused:
            return _list_page(call, account, list_id, {}, errors=_errors_of(refused),
                              status_code=refused.status_code)
        return call.redirect(page_link(f"/console/accounts/{account.id}/lists/{list_id}", removed=fan_id))

    return await form_page(request, work)


def _errors_of(error: MassdmError) -> dict[str, list[str]]:
    return error.errors or {"": [error.message]}
