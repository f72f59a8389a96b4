"""User lists: the eight system lists derived from fan state, custom lists of chosen fans, and smart
lists (massdm's own: custom lists defined by a filter, domain.smart_lists)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Connection

from massdm.domain.audience import SYSTEM_LISTS, SYSTEM_LISTS_BY_ID, SystemList, parse_list_id
from massdm.domain.list_names import list_name
from massdm.domain.smart_lists import SmartFilter, check
from massdm.errors import NotFound, SmartListError, SystemListError, ValidationFailed
from massdm.services.fans import SYSTEM_LIST_IDS, FanPage, describe_fans
from massdm.store import fan_pages, fan_tallies, smart_lists
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
    filter: SmartFilter | None = None  # a smart list's


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
    return ListView(custom.id, "custom", custom.name, count, False, custom.is_pinned_to_feed, users or [],
                    custom.filter)


def _size(connection: Connection, custom: CustomList, now: datetime) -> int:
    """A list of members keeps its size; a smart list's is counted now."""
    if custom.filter is None:
        return custom.member_count
    return smart_lists.count_members(connection, custom.account_id, custom.filter, now)


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


def _of_members(connection: Connection, account_id: str, raw_id: str | int) -> CustomList:
    """A custom list whose members are chosen by hand (not a system list, not a smart list)."""
    custom = _custom(connection, account_id, raw_id, "edited by hand")
    if custom.filter is not None:
        raise SmartListError(f"List {custom.id} is a smart list: its members are the fans its filter selects; "
                             "change the filter with PUT instead.")
    return custom


def _members(account_id: str, target: SystemList | CustomList) -> Listing:
    if isinstance(target, SystemList):
        return Listing.of_system_list(account_id, target.id)
    return Listing(account_id, members_of=target.id)


def _page(connection: Connection, account_id: str, target: SystemList | CustomList, *, offset: int, limit: int,
          now: datetime, system_list_ids: tuple[str, ...] = ()) -> tuple[list[Fan], bool]:
    if isinstance(target, CustomList) and target.filter is not None:
        return smart_lists.page_members(connection, account_id, target.filter, now, offset=offset, limit=limit,
                                        system_list_ids=system_list_ids)
    return fan_pages.page_listing(connection, _members(account_id, target), offset=offset, limit=limit, now=now,
                                  system_list_ids=system_list_ids)


def _view(connection: Connection, account_id: str, target: SystemList | CustomList, now: datetime) -> ListView:
    preview, _ = _page(connection, account_id, target, offset=0, limit=PREVIEW_USERS, now=now)
    if isinstance(target, SystemList):
        count = fan_tallies.system_list_counts(connection, account_id, now)[target.id]
        return _system_view(target, count, preview)
    return _custom_view(target, _size(connection, target, now), preview)


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
    views += [_custom_view(c, _size(connection, c, now)) for c in customs]
    return views, more_custom


def get_list(connection: Connection, account_id: str, raw_id: str | int, now: datetime) -> ListView:
    return _view(connection, account_id, _resolve(connection, account_id, raw_id), now)


def create_list(connection: Connection, account_id: str, name: str, now: datetime,
                smart: SmartFilter | None = None) -> ListView:
    """A list of members (empty), or with `smart` a smart list (its size counted at once)."""
    custom = list_store.create_list(connection, account_id, list_name(name, MAX_NAME), now,
                                    None if smart is None else check(smart))
    return _custom_view(custom, _size(connection, custom, now))


def update_list(
    connection: Connection,
    account_id: str,
    raw_id: str | int,
    *,
    name: str,
    is_pinned_to_feed: bool | None,
    now: datetime,
    smart: SmartFilter | None = None,
) -> ListView:
    """Rename (and pin); with `smart`, give a smart list its new filter (a list of members stays one)."""
    custom = _custom(connection, account_id, raw_id, "renamed")
    if smart is not None:
        if custom.filter is None:
            raise ValidationFailed.field("filter", f"List {custom.id} is a list of chosen fans, not a smart list; "
                                         "create a smart list to select fans by a filter.")
        list_store.set_filter(connection, custom.id, check(smart))
    list_store.update_list(connection, custom.id, name=list_name(name, MAX_NAME), is_pinned_to_feed=is_pinned_to_feed)
    return get_list(connection, account_id, custom.id, now)


def delete_list(connection: Connection, account_id: str, raw_id: str | int) -> None:
    custom = _custom(connection, account_id, raw_id, "deleted")
    list_store.delete_list(connection, account_id, custom.id)


def list_members(
    connection: Connection, account_id: str, raw_id: str | int, *, limit: int, offset: int, now: datetime
) -> MembersPage:
    target = _resolve(connection, account_id, raw_id)
    fans, has_more = _page(connection, account_id, target, offset=offset, limit=limit, now=now,
                           system_list_ids=SYSTEM_LIST_IDS)
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
    custom = _of_members(connection, account_id, raw_id)
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
    custom = _of_members(connection, account_id, raw_id)
    if fan_store.get_fan(connection, account_id, fan_id) is None:
        raise NotFound(f"Fan {fan_id} was not found.")
    if not list_store.remove_member(connection, account_id, custom.id, fan_id):
        raise NotFound(f"Fan {fan_id} is not in list {custom.id}.")
    return get_list(connection, account_id, custom.id, now)


def clear_members(connection: Connection, account_id: str, raw_id: str | int, now: datetime) -> ListView:
    custom = _of_members(connection, account_id, raw_id)
    list_store.clear_members(connection, account_id, custom.id)
    return get_list(connection, account_id, custom.id, now)
