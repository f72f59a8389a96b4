"""Simulated fans' settings on the wire (docs/sandbox.md): camelCase, unknown fields refused."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictFloat, StrictInt, model_validator

from massdm.domain import engagement_model as model
from massdm.domain.engagement_model import DEFAULTS, Delay, EngagementSettings

Hours = StrictInt | StrictFloat


class DelayIn(BaseModel):
    """A delay drawn uniformly between minHours and maxHours (to the second)."""

    model_config = ConfigDict(extra="forbid")

    minHours: Hours = Field(allow_inf_nan=False)
    maxHours: Hours = Field(allow_inf_nan=False)

    @model_validator(mode="after")
    def usable(self) -> DelayIn:
        why = model.check_delay(Delay(float(self.minHours), float(self.maxHours)))
        if why:
            raise ValueError(why)
        return self

    def delay(self) -> Delay:
        return Delay(float(self.minHours), float(self.maxHours))


class EngagementIn(BaseModel):
    """The whole setting (PUT replaces it): each field left out takes its documented default."""

    model_config = ConfigDict(extra="forbid")

    enabled: StrictBool = True
    seed: StrictInt = Field(default=DEFAULTS.seed, ge=0, le=model.MAX_SEED)
    viewRate: StrictInt | StrictFloat = Field(default=DEFAULTS.view_rate, ge=0, le=1, allow_inf_nan=False)
    purchaseRate: StrictInt | StrictFloat = Field(default=DEFAULTS.purchase_rate, ge=0, le=1,
                                                  allow_inf_nan=False)
    viewDelay: DelayIn | None = None
    purchaseDelay: DelayIn | None = None

    def settings(self) -> EngagementSettings:
        return EngagementSettings(
            enabled=self.enabled, seed=self.seed, view_rate=float(self.viewRate),
            purchase_rate=float(self.purchaseRate),
            view_delay=self.viewDelay.delay() if self.viewDelay else DEFAULTS.view_delay,
            purchase_delay=self.purchaseDelay.delay() if self.purchaseDelay else DEFAULTS.purchase_delay,
        )


class DelayOut(BaseModel):
    minHours: float
    maxHours: float

    @classmethod
    def of(cls, delay: Delay) -> DelayOut:
        return cls(minHours=delay.min_hours, maxHours=delay.max_hours)


class EngagementOut(BaseModel):
    account: str
    enabled: bool
    seed: int
    viewRate: float
    purchaseRate: float
    viewDelay: DelayOut
    purchaseDelay: DelayOut

    @classmethod
    def of(cls, account_id: str, settings: EngagementSettings) -> EngagementOut:
        return cls(account=account_id, enabled=settings.enabled, seed=settings.seed, viewRate=settings.view_rate,
                   purchaseRate=settings.purchase_rate, viewDelay=DelayOut.of(settings.view_delay),
                   purchaseDelay=DelayOut.of(settings.purchase_delay))
