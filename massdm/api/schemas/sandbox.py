"""The sandbox control API's shapes (massdm's own, docs/sandbox.md): camelCase, unknown fields refused."""

from __future__ import annotations

from datetime import datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StrictBool, StrictFloat, StrictInt, model_validator

from massdm.api.schemas.common import iso_instant
from massdm.store.due_work import Totals


class SandboxIn(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ClockIn(SandboxIn):
    """Exactly one of: `frozen` (stop or run the clock where it is), `now` (a later moment)."""

    frozen: StrictBool | None = None
    now: AwareDatetime | None = Field(default=None, description="ISO 8601 with a zone; not before the clock's now.")

    @model_validator(mode="after")
    def one_of(self) -> ClockIn:
        if (self.frozen is None) == (self.now is None):
            raise ValueError("Send exactly one of `frozen` or `now`.")
        return self


class AdvanceIn(SandboxIn):
    """Exactly one of: `seconds` (how far), `to` (a later moment)."""

    seconds: StrictInt | StrictFloat | None = Field(default=None, ge=0, le=3650 * 86400, allow_inf_nan=False)
    to: AwareDatetime | None = None

    @model_validator(mode="after")
    def one_of(self) -> AdvanceIn:
        if (self.seconds is None) == (self.to is None):
            raise ValueError("Send exactly one of `seconds` or `to`.")
        return self


class ClockOut(BaseModel):
    now: str
    frozen: bool

    @classmethod
    def of(cls, now: datetime, frozen: bool) -> ClockOut:
        return cls(now=iso_instant(now), frozen=frozen)


class RanOut(BaseModel):
    sent: int
    delivered: int
    views: int
    purchases: int
    events: int

    @classmethod
    def of(cls, ran: Totals) -> RanOut:
        return cls(sent=ran.sent, delivered=ran.delivered, views=ran.views, purchases=ran.purchases,
                   events=ran.events)


class AdvancedOut(BaseModel):
    now: str
    frozen: bool
    ran: RanOut
