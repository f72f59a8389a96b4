"""Fans of an account, and the system lists derived from their state.

Paging them lives in store.fan_pages, the counts kept about them in store.fan_tallies (which
`upsert_fans` keeps in step), the targeting filters on them in store.fan_targeting, what purchases
add to their spend in store.fan_spend. Two columns are derived, and every write keeps them:
`total_spent_cents` (purchases + tips + subscriptions) and `term_seconds` (the length of a
subscription that has an end).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Connection, and_, false, func, or_, select

from massdm.domain.audience import recent_cutoff
from massdm.store import fan_tallies, user_lists
from massdm.store.dialect import upsert
from massdm.store.fan_tallies import FanState
from massdm.store.tables import fans, user_list_members

_IN_CHUNK = 5000


@dataclass(frozen=True)
class Fan:
    id: int
    username: str
    name: str
    subscribed_at: datetime
    expires_at: datetime | None
    auto_renew: bool
    following: bool
    muted: bool
    tagged: bool
    friend: bool
    online: bool
    purchases_cents: int
    tips_cents: int
    subscriptions_cents: int
    total_spent_cents: int
    created_at: datetime
    updated_at: datetime
    last_seen_at: datetime | None = None  # when the fan was last online, as stated (None: not known)
    system_lists: frozenset[str] = frozenset()  # filled by fan_from_row(…, system_list_ids)


_STATE = tuple(FanState.__dataclass_fields__)
UPDATABLE = ("username", "name", "subscribed_at", "expires_at", "auto_renew", "following", "muted", "tagged", "friend",
             "online", "tips_cents", "subscriptions_cents", "last_seen_at")
_SPEND = ("tips_cents", "subscriptions_cents")  # the parts of the total the platform states
_DATES = ("subscribed_at", "expires_at")  # what term_seconds is derived from


@dataclass(frozen=True)
class FanRecord:
    """One fan as the platform states it, for an idempotent upsert.

    `provided` names the fields the platform actually sent: a known fan gets only those
    overwritten (the rest keep their stored value); a new fan takes the values given here,
    defaults included.
    """

    id: int
    username: str
    name: str
    subscribed_at: datetime
    expires_at: datetime | None
    auto_renew: bool
    following: bool
    muted: bool
    tagged: bool
    friend: bool
    online: bool = False
    tips_cents: int = 0
    subscriptions_cents: int = 0
    last_seen_at: datetime | None = None
    provided: frozenset[str] = frozenset(UPDATABLE)


FAN_COLUMNS = (
    fans.c.id,
    fans.c.username,
    fans.c.name,
    fans.c.subscribed_at,
    fans.c.expires_at,
    fans.c.auto_renew,
    fans.c.following,
    fans.c.muted,
    fans.c.tagged,
    fans.c.friend,
    fans.c.online,
    fans.c.purchases_cents,
    fans.c.tips_cents,
    fans.c.subscriptions_cents,
    fans.c.total_spent_cents,
    fans.c.created_at,
    fans.c.updated_at,
    fans.c.last_seen_at,
)


def fan_from_row(row, system_list_ids: tuple[str, ...] = ()) -> Fan:  # noqa: ANN001
    """A fan from a row of `FAN_COLUMNS`, with the system lists labelled `in_<id>` it belongs to."""
    values = row._mapping
    return Fan(
        **{column.name: values[column.name] for column in FAN_COLUMNS},
        system_lists=frozenset(i for i in system_list_ids if values[f"in_{i}"]),
    )


def system_list_flags(system_list_ids: tuple[str, ...], now: datetime) -> list[ColumnElement[bool]]:
    """Columns saying whether the row's fan is in each system list, for `fan_from_row`."""
    return [system_list_condition(i, now).label(f"in_{i}") for i in system_list_ids]


def active_condition(now: datetime) -> ColumnElement[bool]:
    return or_(fans.c.expires_at.is_(None), fans.c.expires_at > now)


def listing_condition(which: str, now: datetime) -> ColumnElement[bool] | None:
    """A listing filter as a condition on the `fans` row: None for "all", a subscription status ("active",
    "expired"), or else a system list."""
    if which == "all":
        return None
    if which == "active":
        return active_condition(now)
    if which == "expired":
        return fans.c.expires_at <= now
    return system_list_condition(which, now)


_SYSTEM_LIST_CONDITIONS: dict[str, Callable[[datetime], ColumnElement[bool]]] = {
    "fans": active_condition,
    "recent": lambda now: and_(active_condition(now), fans.c.subscribed_at >= recent_cutoff(now)),
    "following": lambda now: fans.c.following.is_(True),
    "rebill_on": lambda now: and_(active_condition(now), fans.c.auto_renew.is_(True)),
    "rebill_off": lambda now: and_(active_condition(now), fans.c.auto_renew.is_(False)),
    "tagged": lambda now: fans.c.tagged.is_(True),
    "friends": lambda now: fans.c.friend.is_(True),
    "muted": lambda now: fans.c.muted.is_(True),
}


def system_list_condition(list_id: str, now: datetime) -> ColumnElement[bool]:
    """Membership of a system list, as a condition on the `fans` row (see domain.audience)."""
    condition = _SYSTEM_LIST_CONDITIONS.get(list_id)
    return condition(now) if condition else false()


def custom_list_condition(list_id: int) -> ColumnElement[bool]:
    return (
        select(user_list_members.c.fan_id)
        .where(
            user_list_members.c.list_id == list_id,
            user_list_members.c.account_id == fans.c.account_id,
            user_list_members.c.fan_id == fans.c.id,
        )
        .exists()
    )


def search_condition(query: str) -> ColumnElement[bool]:
    escaped = query.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    pattern = f"%{escaped}%"
    return or_(
        func.lower(fans.c.username).like(pattern, escape="\\"),
        func.lower(fans.c.name).like(pattern, escape="\\"),
    )


def get_fan(connection: Connection, account_id: str, fan_id: int) -> Fan | None:
    row = connection.execute(select(*FAN_COLUMNS).where(fans.c.account_id == account_id, fans.c.id == fan_id)).first()
    return fan_from_row(row) if row else None


def fans_by_ids(connection: Connection, account_id: str, fan_ids: Iterable[int]) -> dict[int, Fan]:
    """The account's fans among `fan_ids`, by id (unknown ids are left out)."""
    found: dict[int, Fan] = {}
    for chunk in _chunks(list(dict.fromkeys(fan_ids))):
        for row in connection.execute(select(*FAN_COLUMNS).where(fans.c.account_id == account_id,
                                                                 fans.c.id.in_(chunk))):
            found[row.id] = fan_from_row(row)
    return found


def _chunks(values: list[int]) -> Iterable[list[int]]:
    for start in range(0, len(values), _IN_CHUNK):
        yield values[start : start + _IN_CHUNK]


def existing_fan_ids(connection: Connection, account_id: str, fan_ids: Iterable[int]) -> set[int]:
    wanted = list(dict.fromkeys(fan_ids))
    found: set[int] = set()
    for chunk in _chunks(wanted):
        found.update(
            connection.execute(
                select(fans.c.id).where(fans.c.account_id == account_id, fans.c.id.in_(chunk))
            ).scalars()
        )
    return found


def _stored_states(connection: Connection, account_id: str, fan_ids: list[int]) -> dict[int, FanState]:
    """The batch's known fans as they are, locked in id order (PostgreSQL): purchases, which add to fans'
    spend without the account's tally lock, lock fans in that order too, so neither waits on the other
    in a circle."""
    states: dict[int, FanState] = {}
    for chunk in _chunks(sorted(fan_ids)):
        for row in connection.execute(
            select(fans.c.id, *(fans.c[name] for name in _STATE))
            .where(fans.c.account_id == account_id, fans.c.id.in_(chunk))
            .order_by(fans.c.id)
            .with_for_update()
        ):
            values = row._mapping
            states[values["id"]] = FanState(**{name: values[name] for name in _STATE})
    return states


def _as_written(stored: FanState | None, record: FanRecord) -> FanState:
    """The fan's state once `record` is upserted: a known fan takes only the fields the record provides."""
    return FanState(**{
        name: getattr(record, name) if stored is None or name in record.provided else getattr(stored, name)
        for name in _STATE
    })


def upsert_fans(connection: Connection, account_id: str, records: list[FanRecord], now: datetime) -> tuple[int, int]:
    """Insert new fans and overwrite known ones (by id); returns (created, updated).

    Idempotent: sending the same records again changes nothing but `updated_at`. The account's
    tallies and its lists' copies of `subscribed_at` follow, from the batch's rows as they were
    (read after `begin_change` took the account's lock) and as they are written.
    """
    if not records:
        return 0, 0
    by_id = {r.id: r for r in records}  # the last record for an id wins
    fan_tallies.begin_change(connection, account_id)
    stored = _stored_states(connection, account_id, list(by_id))
    written = {fan_id: _as_written(stored.get(fan_id), record) for fan_id, record in by_id.items()}
    groups: dict[frozenset[str], list[FanRecord]] = {}
    for record in by_id.values():
        groups.setdefault(record.provided, []).append(record)
    for provided, group in groups.items():
        _upsert_group(connection, account_id, group, provided, written, now)
    fan_tallies.add_changes(connection, account_id, stored.values(), written.values())
    user_lists.copy_subscription_dates(connection, account_id, {
        fan_id: written[fan_id].subscribed_at
        for fan_id, before in stored.items() if before.subscribed_at != written[fan_id].subscribed_at
    })
    return len(by_id) - len(stored), len(stored)


def _term_seconds(state: FanState) -> int | None:
    """How long the subscription lasts, in whole seconds (the floor), if it has an end."""
    if state.expires_at is None:
        return None
    return (state.expires_at - state.subscribed_at) // timedelta(seconds=1)


def _upsert_group(
    connection: Connection, account_id: str, records: list[FanRecord], provided: frozenset[str],
    written: dict[int, FanState], now: datetime,
) -> None:
    """One statement for records that provide the same fields; the derived columns follow what changes.

    A known fan's purchases stay as they are: the total is recomputed in SQL from the stored
    purchases and the tips and subscriptions as they are after this write.
    """
    rows = [
        {
            "account_id": account_id,
            **{name: getattr(r, name) for name in ("id", *UPDATABLE)},
            "purchases_cents": 0,
            "total_spent_cents": r.tips_cents + r.subscriptions_cents,
            "term_seconds": _term_seconds(written[r.id]),
            "created_at": now,
            "updated_at": now,
        }
        for r in records
    ]
    statement = upsert(connection, fans)
    excluded = statement.excluded
    changes: dict[str, ColumnElement] = {name: excluded[name] for name in UPDATABLE if name in provided}
    changes["updated_at"] = excluded.updated_at
    if provided & set(_DATES):
        changes["term_seconds"] = excluded.term_seconds
    if provided & set(_SPEND):
        tips, subscriptions = (excluded[n] if n in provided else fans.c[n] for n in _SPEND)
        changes["total_spent_cents"] = fans.c.purchases_cents + tips + subscriptions
    statement = statement.on_conflict_do_update(index_elements=[fans.c.account_id, fans.c.id], set_=changes)
    connection.execute(statement, rows)


def custom_lists_of_fans(connection: Connection, account_id: str, fan_ids: list[int]) -> dict[int, set[int]]:
    """For each fan, the custom lists it belongs to."""
    result: dict[int, set[int]] = {f: set() for f in fan_ids}
    for chunk in _chunks(fan_ids):
        for fan_id, list_id in connection.execute(
            select(user_list_members.c.fan_id, user_list_members.c.list_id).where(
                user_list_members.c.account_id == account_id, user_list_members.c.fan_id.in_(chunk)
            )
        ):
            result[fan_id].add(list_id)
    return result
