"""The shapes of reset and snapshots (massdm's own, docs/sandbox.md): camelCase."""

from __future__ import annotations

from pydantic import BaseModel, Field, StrictStr

from massdm.api.schemas.common import iso_instant
from massdm.api.schemas.sandbox import SandboxIn
from massdm.sandbox.reset import Reset
from massdm.sandbox.snapshots import NAME_RULE, Snapshot


class ResetIn(SandboxIn):
    account: StrictStr | None = Field(default=None, description="Reset this account only; absent: the whole team "
                                      "(every account the key controls, and for a key of every account also "
                                      "the team's webhooks and the store's clock).")


class ResetOut(BaseModel):
    accounts: list[str]
    team: bool = Field(description="Whether the team's own state (webhooks, the clock) was reset too.")
    deleted: dict[str, int] = Field(description="Rows deleted, by table.")
    milliseconds: float

    @classmethod
    def of(cls, reset: Reset) -> ResetOut:
        return cls(accounts=list(reset.accounts), team=reset.whole,
                   deleted={k: v for k, v in reset.deleted.items() if v}, milliseconds=round(reset.seconds * 1000, 1))


class SnapshotIn(SandboxIn):
    name: StrictStr = Field(description=NAME_RULE)


class SavedClockOut(BaseModel):
    frozen: bool
    frozen_at: str | None = Field(alias="frozenAt", description="Where it was stopped, if frozen.")
    offset_seconds: float | None = Field(alias="offsetSeconds", description="If running: how far ahead of the "
                                         "wall clock it ran (restored running as far ahead).")


class SnapshotOut(BaseModel):
    name: str
    created: str
    rows: int
    sizes: dict[str, int] = Field(description="Rows saved, by table (tables with none left out).")
    clock: SavedClockOut

    @classmethod
    def of(cls, snapshot: Snapshot) -> SnapshotOut:
        clock = snapshot.clock
        return cls(name=snapshot.name, created=iso_instant(snapshot.created_at), rows=snapshot.total,
                   sizes={k: v for k, v in snapshot.sizes.items() if v},
                   clock=SavedClockOut(frozen=clock.frozen,
                                       frozenAt=iso_instant(clock.frozen_at) if clock.frozen_at else None,
                                       offsetSeconds=None if clock.frozen else clock.offset.total_seconds()))


class SnapshotListOut(BaseModel):
    snapshots: list[SnapshotOut]


class RestoredOut(BaseModel):
    snapshot: SnapshotOut
    milliseconds: float
