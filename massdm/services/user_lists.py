"""User lists: the eight system lists derived from fan state, and custom lists of chosen fans."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Connection

from massdm.domain.audience import SYSTEM_LISTS, SYSTEM_LISTS_BY_ID, SystemList, parse_list_id
from massdm.errors import NotFound, SystemListError, ValidationFailed
from massdm.services.fans import SYSTEM_LIST_IDS, FanPage, describe_fans
from massdm.store import fan_pages, fan_tallies
from massdm.store import fans as fan_store
from massdm.store import user_lists as list_store
from massdm.store.fan_pages import Listing
from massdm.store.fans import Fan
from massdm.store.user_lists import CustomList

MAX_NAME = 64
MAX_ADD = 10_000
PREVIEW_USERS = 3


@dataclass(frozen=True)
class ListView:
    id: str | int
    type: str
    name: str
    users_count: int
    is_system: bool
    is_pinned_to_feed: bool
    users: list[Fan] = field(default_factory=list)


@dataclass(frozen=True)
class AddResult:
    list_id: str | int
    added: list[int]
    failed: dict[int, str]


@dataclass(frozen=True)
class MembersPage:
    page: FanPage
    next_offset: int | None


def _system_view(system: SystemList, count: int, users: list[Fan] | None = None) -> ListView:
    return ListView(system.id, system.id, system.name, count, True, False, users or [])


def _custom_view(custom: CustomList, count: int, users: list[Fan] | None = None) -> ListView:
    return ListView(custom.id, "custom", custom.name, count, False, custom.is_pinned_to_feed, users or [])


def _resolve(connection: Connection, account_id: str, raw_id: str | int) -> SystemList | CustomList:
    parsed = parse_list_id(raw_id)
    if isinstance(parsed, str):
        return SYSTEM_LISTS_BY_ID[parsed]
    if isinstance(parsed, int):
        custom = list_store.get_list(connection, account_id, parsed)
        if custom is not None:
            return custom
    raise NotFound(f"User list {raw_id} was not found.")


def _custom(connection: Connection, account_id: str, raw_id: str | int, action: str) -> CustomList:
    target = _resolve(connection, account_id, raw_id)
    if isinstance(target, SystemList):
        raise SystemListError(f"'{target.id}' is a system list; it cannot be {action}.")
    return target


def _members(account_id: str, target: SystemList | CustomList) -> Listing:
    if isinstance(target, SystemList):
        return Listing.of_system_list(account_id, target.id)
    return Listing(account_id, members_of=target.id)


def _view(connection: Connection, account_id: str, target: SystemList | CustomList, now: datetime) -> ListView:
    preview, _ = fan_pages.page_listing(connection, _members(account_id, target), offset=0, limit=PREVIEW_USERS,
                                        now=now)
    if isinstance(target, SystemList):
        count = fan_tallies.system_list_counts(connection, account_id, now)[target.id]
        return _system_view(target, count, preview)
    return _custom_view(target, target.member_count, preview)


def _check_name(name: str) -> str:
    cleaned = name.strip()
    if not cleaned:
        raise ValidationFailed.field("name", "The name field is required.")
    if len(cleaned) > MAX_NAME:
        raise ValidationFailed.field("name", f"The name must not be greater than {MAX_NAME} characters.")
    return cleaned


def list_lists(
    connection: Connection, account_id: str, *, limit: int, offset: int, now: datetime
) -> tuple[list[ListView], bool]:
    """System lists first (fixed order), then custom lists oldest first, paged as one sequence."""
    systems = SYSTEM_LISTS[offset : offset + limit]
    custom_offset = max(0, offset - len(SYSTEM_LISTS))
    custom_limit = limit - len(systems)
    customs, more_custom = (
        list_store.page_lists(connection, account_id, limit=custom_limit, offset=custom_offset)
        if custom_limit > 0
        else ([], list_store.count_lists(connection, account_id) > 0)
    )
    system_counts = fan_tallies.system_list_counts(connection, account_id, now) if systems else {}
    views = [_system_view(s, system_counts[s.id]) for s in systems]
    views += [_custom_view(c, c.member_count) for c in customs]
    return views, more_custom


def get_list(connection: Connection, account_id: str, raw_id: str | int, now: datetime) -> ListView:
    return _view(connection, account_id, _resolve(connection, account_id, raw_id), now)


def create_list(connection: Connection, account_id: str, name: str, now: datetime) -> ListView:
    return _custom_view(list_store.create_list(connection, account_id, _check_name(name), now), 0)


def update_list(
    connection: Connection,
    account_id: str,
    raw_id: str | int,
    *,
    name: str,
    is_pinned_to_feed: bool | None,
    now: datetime,
) -> ListView:
    custom = _custom(connection, account_id, raw_id, "renamed")
    list_store.update_list(connection, custom.id, name=_check_name(name), is_pinned_to_feed=is_pinned_to_feed)
    return get_list(connection, account_id, custom.id, now)


def delete_list(connection: Connection, account_id: str, raw_id: str | int) -> None:
    custom = _custom(connection, account_id, raw_id, "deleted")
    list_store.delete_list(connection, account_id, custom.id)


def list_members(
    connection: Connection, account_id: str, raw_id: str | int, *, limit: int, offset: int, now: datetime
) -> MembersPage:
    target = _resolve(connection, account_id, raw_id)
    fans, has_more = fan_pages.page_listing(
        connection, _members(account_id, target), offset=offset, limit=limit, now=now,
        system_list_ids=SYSTEM_LIST_IDS,
    )
    page = FanPage(describe_fans(connection, account_id, fans), has_more)
    return MembersPage(page, offset + len(fans) if has_more else None)


def add_members(
    connection: Connection,
    account_id: str,
    raw_id: str | int,
    fan_ids: list[int],
    *,
    skip_invalid: bool,
    now: datetime,
) -> AddResult:
    """Add fans to a custom list. Unknown fans fail the call (422 naming them) unless skip_invalid."""
    custom = _custom(connection, account_id, raw_id, "edited by hand")
    if not fan_ids:
        raise ValidationFailed.field("ids", "The ids field must contain at least one fan id.")
    if len(fan_ids) > MAX_ADD:
        raise ValidationFailed.field("ids", f"At most {MAX_ADD} fan ids per call; got {len(fan_ids)}.")
    wanted = list(dict.fromkeys(fan_ids))
    known = fan_store.existing_fan_ids(connection, account_id, wanted)
    unknown = [f for f in wanted if f not in known]
    if unknown and not skip_invalid:
        shown = ", ".join(str(f) for f in unknown[:50]) + (" ..." if len(unknown) > 50 else "")
        raise ValidationFailed.field("ids", f"These fan ids are not fans of this account: {shown}.")
    added = [f for f in wanted if f in known]
    list_store.add_members(connection, custom.id, account_id, added, now)
    return AddResult(custom.id, added, {f: "Not a fan of this account." for f in unknown})


def remove_member(
    connection: Connection, account_id: str, raw_id: str | int, fan_id: int, now: datetime
) -> ListView:
    """Take one fan out of a custom list; returns the list as it is afterwards."""
    custom = _custom(connection, account_id, raw_id, "edited by hand")
    if fan_store.get_fan(connection, account_id, fan_id) is None:
        raise NotFound(f"Fan {fan_id} was not found.")
    if not list_store.remove_member(connection, account_id, custom.id, fan_id):
        raise NotFound(f"Fan {fan_id} is not in list {custom.id}.")
    return get_list(connection, account_id, custom.id, now)


def clear_members(connection: Connection, account_id: str, raw_id: str | int, now: datetime) -> ListView:
    custom = _custom(connection, account_id, raw_id, "edited by hand")
    list_store.clear_members(connection, account_id, custom.id)
    return get_list(connection, account_id, custom.id, now)
