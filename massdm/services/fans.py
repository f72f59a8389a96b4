"""Fans: listing them for the API, and taking them in from the platform (API or CSV).

Like every service these functions run in the caller's transaction. A CSV import is the one
operation that commits in steps: a million-row file in one transaction would hold SQLite's write
lock (and PostgreSQL's row locks) for minutes. So the service does not drive it: it checks the
whole file (`check_csv`, nothing written on a bad row) and hands out batches (`csv_batches`); the
caller (`massdm fans import`) opens one transaction per batch around `upsert_fans` and shows the
progress, as the worker owns one transaction per delivery chunk. A failure midway leaves the
batches before it imported; running the import again is safe (it is idempotent by fan id).
"""

from __future__ import annotations

import csv
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import Connection

from massdm.domain import fan_targeting
from massdm.domain import fans as fan_rules
from massdm.domain.audience import SYSTEM_LISTS
from massdm.domain.fan_targeting import NO_TARGETING, Targeting
from massdm.domain.fans import FanStatus
from massdm.errors import ValidationFailed
from massdm.store import fan_pages, fan_tallies
from massdm.store import fans as fan_store
from massdm.store import user_lists as list_store
from massdm.store.fan_pages import Listing
from massdm.store.fans import Fan, FanRecord

MAX_UPSERT = 10_000
IMPORT_BATCH = 5_000
SYSTEM_LIST_IDS = tuple(s.id for s in SYSTEM_LISTS)


@dataclass(frozen=True)
class ListState:
    id: str | int
    type: str
    name: str
    has_user: bool
    is_system: bool


@dataclass(frozen=True)
class FanView:
    fan: Fan
    lists: list[ListState]


@dataclass(frozen=True)
class FanPage:
    fans: list[FanView]
    has_more: bool


def describe_fans(connection: Connection, account_id: str, fans: list[Fan]) -> list[FanView]:
    """Attach each fan's list memberships (system lists from its state, custom lists from the store)."""
    custom = fan_store.custom_lists_of_fans(connection, account_id, [f.id for f in fans])
    names = list_store.list_names(connection, set().union(*custom.values()) if custom else set())
    views = []
    for fan in fans:
        states = [ListState(s.id, s.id, s.name, s.id in fan.system_lists, True) for s in SYSTEM_LISTS]
        states += [ListState(i, "custom", names.get(i, ""), True, False) for i in sorted(custom.get(fan.id, ()))]
        views.append(FanView(fan, states))
    return views


def list_fans(
    connection: Connection,
    account_id: str,
    *,
    status: FanStatus,
    query: str | None,
    limit: int,
    offset: int,
    now: datetime,
    targeting: Targeting = NO_TARGETING,
) -> FanPage:
    """A page of the account's fans of `status`, searched and narrowed by `targeting`, newest first."""
    listing = Listing(account_id, status, query=query or None, targeting=targeting)
    fans, has_more = fan_pages.page_listing(connection, listing, offset=offset, limit=limit, now=now,
                                            system_list_ids=SYSTEM_LIST_IDS)
    return FanPage(describe_fans(connection, account_id, fans), has_more)


@dataclass(frozen=True)
class StatusCounts:
    """How many fans an account has of each status the listings show."""

    all: int
    active: int

    @property
    def expired(self) -> int:
        return self.all - self.active


def count_fans(connection: Connection, account_id: str, now: datetime) -> StatusCounts:
    """The account's fans, and the active ones at `now` (the `fans` system list), from the kept tallies."""
    return StatusCounts(fan_tallies.fan_count(connection, account_id),
                        fan_tallies.system_list_counts(connection, account_id, now)["fans"])


@dataclass(frozen=True)
class UpsertResult:
    received: int
    created: int
    updated: int


def upsert_fans(connection: Connection, account_id: str, records: list[FanRecord], now: datetime) -> UpsertResult:
    if len(records) > MAX_UPSERT:
        raise ValidationFailed.field("body", f"At most {MAX_UPSERT} fans per call; got {len(records)}.")
    created, updated = fan_store.upsert_fans(connection, account_id, records, now)
    return UpsertResult(len(records), created, updated)


# --- CSV import -------------------------------------------------------------------------


class CsvImportError(ValueError):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def _resolve_columns(header: Sequence[str]) -> dict[str, str]:
    present = {h.strip(): h for h in header}
    columns: dict[str, str] = {}
    for field, names in fan_rules.CSV_COLUMNS.items():
        for name in names:
            if name in present:
                columns[field] = present[name]
                break
    missing = [f for f in ("id", "username", "subscribed_at") if f not in columns]
    if missing:
        raise CsvImportError([f"missing required column(s): {', '.join(missing)} (header: {', '.join(header)})"])
    return columns


def _record_from_row(row: dict[str, str], columns: dict[str, str]) -> FanRecord:
    """A CSV row as a record; columns the file does not have keep their stored value on update."""
    def cell(field: str) -> str:
        source = columns.get(field)
        return (row.get(source) or "") if source else ""

    username = fan_rules.check_text(cell("username"), "username", required=True)
    expires, seen = cell("expires_at").strip(), cell("last_seen_at").strip()
    return FanRecord(
        id=fan_rules.parse_fan_id(cell("id")),
        username=username,
        name=fan_rules.check_text(cell("name") or username, "name", required=False),
        subscribed_at=fan_rules.parse_instant(cell("subscribed_at"), "subscribed_at"),
        expires_at=fan_rules.parse_instant(expires, "expires_at") if expires else None,
        auto_renew=fan_rules.parse_flag(cell("auto_renew"), "auto_renew"),
        following=fan_rules.parse_flag(cell("following"), "following"),
        muted=fan_rules.parse_flag(cell("muted"), "muted"),
        tagged=fan_rules.parse_flag(cell("tagged"), "tagged"),
        friend=fan_rules.parse_flag(cell("friend"), "friend"),
        online=fan_rules.parse_flag(cell("online"), "online"),
        tips_cents=fan_targeting.parse_usd(cell("tips_cents"), "tips"),
        subscriptions_cents=fan_targeting.parse_usd(cell("subscriptions_cents"), "subscriptions"),
        last_seen_at=fan_rules.parse_instant(seen, "last_seen") if seen else None,
        provided=frozenset(columns),
    )


def _read_csv(path: Path) -> Iterator[tuple[int, FanRecord | str]]:
    """(line number, record or problem) for each data row, streaming."""
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        columns = _resolve_columns(reader.fieldnames or [])
        for row in reader:
            try:
                yield reader.line_num, _record_from_row(row, columns)
            except ValueError as problem:
                yield reader.line_num, str(problem)


def check_csv(path: Path) -> int:
    """Read the whole file once: how many rows it has, or CsvImportError with the bad ones by line number
    (the first 20), before anything is written."""
    total = 0
    problems: list[str] = []
    for line, item in _read_csv(path):
        total += 1
        if isinstance(item, str):
            problems.append(f"line {line}: {item}")
    if problems:
        raise CsvImportError(problems[:20] + ([f"... and {len(problems) - 20} more"] if len(problems) > 20 else []))
    return total


def csv_batches(path: Path, size: int = IMPORT_BATCH) -> Iterator[list[FanRecord]]:
    """The file's records, `size` at a time, for `upsert_fans` (read again, streaming: after `check_csv`)."""
    batch: list[FanRecord] = []
    for line, record in _read_csv(path):
        if not isinstance(record, FanRecord):
            raise CsvImportError([f"line {line}: {record}"])  # the file changed since it was checked
        batch.append(record)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch
