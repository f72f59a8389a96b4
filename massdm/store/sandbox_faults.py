"""The sandbox's faults on purpose (`sandbox_faults`): kept, listed, deleted, and fired one call at a time.

Every API process and worker reads the same rows, so a fault applies whichever process takes the
call. Firing is one guarded statement per fault, correct with many transactions at once on
PostgreSQL: a fault of `times: N` takes one of its N with `UPDATE … SET remaining = remaining - 1
WHERE remaining > 0` (a row lock: exactly N calls see rowcount 1, however many race), and one with a
`probability` numbers its matching calls with `UPDATE … SET calls = calls + 1 RETURNING calls`, the
n its draw is a pure function of (domain.faults).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, and_, delete, insert, or_, select, update

from massdm.domain import faults as rules
from massdm.domain.faults import Hit
from massdm.store.tables import api_keys, fans, sandbox_faults

PPB = 1_000_000_000


@dataclass(frozen=True)
class Fault:
    id: str
    team_id: int
    method: str | None
    path: str | None
    webhook_id: str | None
    mode: str | None
    status: int | None
    times: int | None
    remaining: int | None
    probability_ppb: int | None
    seed: int | None
    latency_ms: int
    retry_after_ms: int | None
    calls: int
    hits: int
    created_at: datetime

    @property
    def probability(self) -> float | None:
        return None if self.probability_ppb is None else self.probability_ppb / PPB

    @property
    def retry_after(self) -> float | None:
        return None if self.retry_after_ms is None else self.retry_after_ms / 1000

    @property
    def exhausted(self) -> bool:
        return self.remaining is not None and self.remaining <= 0


@dataclass(frozen=True)
class NewFault:
    id: str
    team_id: int
    method: str | None = None
    path: str | None = None
    webhook_id: str | None = None
    mode: str | None = None
    status: int | None = None
    times: int | None = None
    probability: float | None = None
    seed: int | None = None
    latency_ms: int = 0
    retry_after: float | None = None


_COLUMNS = [sandbox_faults.c[name] for name in Fault.__dataclass_fields__]
_ORDER = (sandbox_faults.c.created_at, sandbox_faults.c.id)
_LIVE = or_(sandbox_faults.c.remaining.is_(None), sandbox_faults.c.remaining > 0)


def _fault(row) -> Fault:  # noqa: ANN001
    return Fault(**row._mapping)


def insert_fault(connection: Connection, new: NewFault, now: datetime) -> Fault:
    values = {
        "id": new.id, "team_id": new.team_id, "method": new.method, "path": new.path, "webhook_id": new.webhook_id,
        "mode": new.mode, "status": new.status, "times": new.times, "remaining": new.times,
        "probability_ppb": None if new.probability is None else round(new.probability * PPB), "seed": new.seed,
        "latency_ms": new.latency_ms,
        "retry_after_ms": None if new.retry_after is None else round(new.retry_after * 1000),
        "calls": 0, "hits": 0, "created_at": now,
    }
    connection.execute(insert(sandbox_faults).values(**values))
    found = get_fault(connection, new.team_id, new.id)
    assert found is not None
    return found


def get_fault(connection: Connection, team_id: int, fault_id: str) -> Fault | None:
    row = connection.execute(select(*_COLUMNS).where(sandbox_faults.c.id == fault_id,
                                                     sandbox_faults.c.team_id == team_id)).first()
    return None if row is None else _fault(row)


def list_faults(connection: Connection, team_id: int) -> list[Fault]:
    rows = connection.execute(select(*_COLUMNS).where(sandbox_faults.c.team_id == team_id).order_by(*_ORDER))
    return [_fault(row) for row in rows]


def delete_faults(connection: Connection, team_id: int, fault_id: str | None = None) -> int:
    """Delete one of the team's faults (or all of them); how many went."""
    statement = delete(sandbox_faults).where(sandbox_faults.c.team_id == team_id)
    if fault_id is not None:
        statement = statement.where(sandbox_faults.c.id == fault_id)
    return connection.execute(statement).rowcount


def live_call_faults(connection: Connection, key_hash: str, method: str) -> list[Fault]:
    """The live API-call faults of the team whose active key hashes to `key_hash`, for `method` (or any
    method), oldest first: one indexed statement, and no rows at all for a team that set none."""
    c = sandbox_faults.c
    statement = (
        select(*_COLUMNS)
        .join(api_keys, and_(api_keys.c.team_id == c.team_id, api_keys.c.key_hash == key_hash,
                             api_keys.c.revoked_at.is_(None)))
        .where(c.path.is_not(None), or_(c.method.is_(None), c.method == method.upper()), _LIVE)
        .order_by(*_ORDER)
    )
    return [_fault(row) for row in connection.execute(statement)]


def live_webhook_faults(connection: Connection, webhook_id: str) -> list[Fault]:
    statement = (select(*_COLUMNS).where(sandbox_faults.c.webhook_id == webhook_id, _LIVE).order_by(*_ORDER))
    return [_fault(row) for row in connection.execute(statement)]


def fire(connection: Connection, candidates: list[Fault]) -> Hit | None:
    """The first of `candidates` (faults that match one call, oldest first) that fires on it, counted; None
    if none does. Each is counted in one guarded statement (the module's docstring says why)."""
    c = sandbox_faults.c
    for fault in candidates:
        if fault.times is not None:
            taken = connection.execute(
                update(sandbox_faults).where(c.id == fault.id, c.remaining > 0)
                .values(remaining=c.remaining - 1, calls=c.calls + 1, hits=c.hits + 1)
            ).rowcount
            if taken != 1:
                continue
        else:
            n = connection.execute(
                update(sandbox_faults).where(c.id == fault.id).values(calls=c.calls + 1).returning(c.calls)
            ).scalar_one_or_none()
            if n is None:  # deleted meanwhile
                continue
            probability = fault.probability
            if probability is not None and not rules.hits(probability, fault.seed or 0, n):
                continue
            connection.execute(update(sandbox_faults).where(c.id == fault.id).values(hits=c.hits + 1))
        return Hit(fault_id=fault.id, status=fault.status, latency_ms=fault.latency_ms,
                   retry_after=fault.retry_after, mode=fault.mode)
    return None


def first_fan_id(connection: Connection, account_id: str) -> int | None:
    """The account's lowest fan id: the fan a triggered event names when the user names none (it belongs
    with store/fans.py; kept here while the sandbox's events are the only reader)."""
    return connection.execute(select(fans.c.id).where(fans.c.account_id == account_id)
                              .order_by(fans.c.id).limit(1)).scalar_one_or_none()
