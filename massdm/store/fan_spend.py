"""What purchases add to fans' spend, and the version that tells page marks about it.

A purchase adds its price to the buyer's `purchases_cents` and `total_spent_cents`, and moves its
`last_purchase_at` up to the purchase's time (never back), in the purchase's own transaction, and
bumps the account's spend version there too (`fan_spend_versions`): a page mark of a listing
filtered by total spend holds only while that version stays put (store.fan_pages).
The version lives apart from `fan_tallies`, whose row every fan write holds for its whole batch, so
purchases never queue behind a fan import; purchases of one account do wait for each other there,
as purchases of one message already do on its counters.

Rows are locked in one order everywhere (fans by account and id, then versions by account), the
order store.fans.upsert_fans locks fans in too, so concurrent writers wait instead of deadlocking.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, bindparam, case, or_, select, text, update

from massdm.store.dialect import upsert
from massdm.store.tables import fan_spend_versions, fans
from massdm.store.types import UTCDateTime

Buyer = tuple[str, int]  # (account id, fan id)


@dataclass(frozen=True, slots=True)
class Spend:
    """What one buyer spent in a transaction: the cents of its purchases and the latest one's time."""

    cents: int
    last_at: datetime

    def __add__(self, other: Spend) -> Spend:
        return Spend(self.cents + other.cents, max(self.last_at, other.last_at))


_LAST_AT = bindparam("last_at", type_=UTCDateTime())
_ADD_ONE = (
    update(fans)
    .where(fans.c.account_id == bindparam("of_account"), fans.c.id == bindparam("of_fan"))
    .values(purchases_cents=fans.c.purchases_cents + bindparam("cents"),
            total_spent_cents=fans.c.total_spent_cents + bindparam("cents"),
            last_purchase_at=case((or_(fans.c.last_purchase_at.is_(None), fans.c.last_purchase_at < _LAST_AT),
                                   _LAST_AT), else_=fans.c.last_purchase_at))
)
# PostgreSQL: the buyers' rows locked in order, then every buyer's sum added in one statement.
_LOCK_POSTGRESQL = text(
    "SELECT count(*) FROM (SELECT 1 FROM fans JOIN unnest(CAST(:accounts AS VARCHAR[]), CAST(:fans AS BIGINT[])) "
    "AS bought(account_id, fan_id) ON fans.account_id = bought.account_id AND fans.id = bought.fan_id "
    "ORDER BY fans.account_id, fans.id FOR UPDATE OF fans) AS locked"
)
_ADD_POSTGRESQL = text(
    "UPDATE fans SET purchases_cents = fans.purchases_cents + bought.cents, "
    "total_spent_cents = fans.total_spent_cents + bought.cents, "
    "last_purchase_at = GREATEST(fans.last_purchase_at, bought.last_at) "  # GREATEST skips NULLs
    "FROM unnest(CAST(:accounts AS VARCHAR[]), CAST(:fans AS BIGINT[]), CAST(:cents AS BIGINT[]), "
    "CAST(:last_ats AS TIMESTAMP[])) AS bought(account_id, fan_id, cents, last_at) "
    "WHERE fans.account_id = bought.account_id AND fans.id = bought.fan_id"
)
_READ_VERSION = select(fan_spend_versions.c.version).where(fan_spend_versions.c.account_id == bindparam("account_id"))


def add_purchases(connection: Connection, spent: Mapping[Buyer, Spend]) -> None:
    """Add each buyer's cents to its spend, move its last purchase time up, and bump the spend version
    of every account among them.

    Call with exactly the purchases this transaction recorded (each once), so spend equals the sum of
    the fan's purchase rows. One statement per buyer only when there is one buyer; a batch is set-based:
    one `UPDATE … FROM unnest(…)` on PostgreSQL, the driver's executemany on SQLite (one call, as the
    fan-event batch table is filled).
    """
    buyers = sorted(spent.items())
    if not buyers:
        return
    if len(buyers) == 1 or connection.dialect.name != "postgresql":
        connection.execute(_ADD_ONE, [{"of_account": a, "of_fan": f, "cents": s.cents, "last_at": s.last_at}
                                      for (a, f), s in buyers])
    else:
        arrays = {"accounts": [a for (a, _), _ in buyers], "fans": [f for (_, f), _ in buyers]}
        connection.execute(_LOCK_POSTGRESQL, arrays)
        connection.execute(_ADD_POSTGRESQL, {**arrays, "cents": [s.cents for _, s in buyers],
                                             "last_ats": [_naive_utc(s.last_at) for _, s in buyers]})
    for account_id in sorted({a for (a, _), _ in buyers}):
        _bump_version(connection, account_id)


def _naive_utc(moment: datetime) -> datetime:
    """A TIMESTAMP[] element as the store keeps every time: naive UTC (store.types.UTCDateTime)."""
    return UTCDateTime().process_bind_param(moment, None)  # type: ignore[return-value]


def _bump_version(connection: Connection, account_id: str) -> None:
    statement = upsert(connection, fan_spend_versions).values(account_id=account_id, version=1)
    connection.execute(statement.on_conflict_do_update(
        index_elements=[fan_spend_versions.c.account_id], set_={"version": fan_spend_versions.c.version + 1}))


def read_version(connection: Connection, account_id: str) -> int:
    """The account's spend version as this statement sees it (0 before its first purchase)."""
    return connection.execute(_READ_VERSION, {"account_id": account_id}).scalar() or 0

