"""What purchases add to fans' spend, and the version that tells page marks about it.

A purchase adds its price to the buyer's `purchases_cents` and `total_spent_cents` in the purchase's
own transaction, and bumps the account's spend version there too (`fan_spend_versions`): a page mark
of a listing filtered by total spend holds only while that version stays put (store.fan_pages).
The version lives apart from `fan_tallies`, whose row every fan write holds for its whole batch, so
purchases never queue behind a fan import; purchases of one account do wait for each other there,
as purchases of one message already do on its counters.

Rows are locked in one order everywhere (fans by account and id, then versions by account), the
order store.fans.upsert_fans locks fans in too, so concurrent writers wait instead of deadlocking.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import Connection, bindparam, select, text, update

from massdm.store.dialect import upsert
from massdm.store.tables import fan_spend_versions, fans

Buyer = tuple[str, int]  # (account id, fan id)

_ADD_ONE = (
    update(fans)
    .where(fans.c.account_id == bindparam("of_account"), fans.c.id == bindparam("of_fan"))
    .values(purchases_cents=fans.c.purchases_cents + bindparam("cents"),
            total_spent_cents=fans.c.total_spent_cents + bindparam("cents"))
)
# PostgreSQL: the buyers' rows locked in order, then every buyer's sum added in one statement.
_LOCK_POSTGRESQL = text(
    "SELECT count(*) FROM (SELECT 1 FROM fans JOIN unnest(CAST(:accounts AS VARCHAR[]), CAST(:fans AS BIGINT[])) "
    "AS bought(account_id, fan_id) ON fans.account_id = bought.account_id AND fans.id = bought.fan_id "
    "ORDER BY fans.account_id, fans.id FOR UPDATE OF fans) AS locked"
)
_ADD_POSTGRESQL = text(
    "UPDATE fans SET purchases_cents = fans.purchases_cents + bought.cents, "
    "total_spent_cents = fans.total_spent_cents + bought.cents "
    "FROM unnest(CAST(:accounts AS VARCHAR[]), CAST(:fans AS BIGINT[]), CAST(:cents AS BIGINT[])) "
    "AS bought(account_id, fan_id, cents) WHERE fans.account_id = bought.account_id AND fans.id = bought.fan_id"
)
_READ_VERSION = select(fan_spend_versions.c.version).where(fan_spend_versions.c.account_id == bindparam("account_id"))


def add_purchases(connection: Connection, spent: Mapping[Buyer, int]) -> None:
    """Add each buyer's cents to its spend, and bump the spend version of every account among them.

    Call with exactly the purchases this transaction recorded (each once), so spend equals the sum of
    the fan's purchase rows. One statement per buyer only when there is one buyer; a batch is set-based:
    one `UPDATE … FROM unnest(…)` on PostgreSQL, the driver's executemany on SQLite (one call, as the
    fan-event batch table is filled).
    """
    buyers = sorted((buyer, cents) for buyer, cents in spent.items() if cents)
    if not buyers:
        return
    if len(buyers) == 1 or connection.dialect.name != "postgresql":
        connection.execute(_ADD_ONE, [{"of_account": a, "of_fan": f, "cents": c} for (a, f), c in buyers])
    else:
        arrays = {"accounts": [a for (a, _), _ in buyers], "fans": [f for (_, f), _ in buyers]}
        connection.execute(_LOCK_POSTGRESQL, arrays)
        connection.execute(_ADD_POSTGRESQL, {**arrays, "cents": [c for _, c in buyers]})
    for account_id in sorted({a for (a, _), _ in buyers}):
        _bump_version(connection, account_id)


def _bump_version(connection: Connection, account_id: str) -> None:
    statement = upsert(connection, fan_spend_versions).values(account_id=account_id, version=1)
    connection.execute(statement.on_conflict_do_update(
        index_elements=[fan_spend_versions.c.account_id], set_={"version": fan_spend_versions.c.version + 1}))


def read_version(connection: Connection, account_id: str) -> int:
    """The account's spend version as this statement sees it (0 before its first purchase)."""
    return connection.execute(_READ_VERSION, {"account_id": account_id}).scalar() or 0

