"""The shapes of the sandbox's faults and triggered events (docs/sandbox.md): camelCase,
unknown fields refused, as the rest of the control API."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictFloat, StrictInt, StrictStr

from massdm.api.schemas.common import iso_instant
from massdm.sandbox.faults import FaultSpec
from massdm.store.sandbox_faults import Fault


class SandboxIn(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class FaultIn(SandboxIn):
    """An API call's fault (`path`, optional `method`) or a webhook's (`webhook`, `mode`). At most one of
    `times` (the next N matching calls) and `probability` (each call with that chance, `seed` to replay)."""

    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE"] | None = None
    path: StrictStr | None = Field(default=None, max_length=2000,
                                   description="/api/{account}/mass-messaging: {x} matches one segment.")
    webhook: StrictStr | None = Field(default=None, max_length=100, description="A webhook id (wh_...).")
    mode: Literal["timeout", "status"] | None = None
    status: StrictInt | None = None
    times: StrictInt | None = Field(default=None, ge=1, le=1_000_000)
    probability: StrictInt | StrictFloat | None = Field(default=None, ge=0, le=1, allow_inf_nan=False)
    seed: StrictInt | None = Field(default=None, ge=0, le=2**62)
    latency_ms: StrictInt = Field(default=0, ge=0, le=60_000, alias="latencyMs")
    retry_after: StrictInt | StrictFloat | None = Field(default=None, ge=0, le=3600, allow_inf_nan=False,
                                                        alias="retryAfter")

    def spec(self) -> FaultSpec:
        return FaultSpec(path=self.path, method=self.method, webhook=self.webhook, mode=self.mode,
                         status=self.status, times=self.times,
                         probability=None if self.probability is None else float(self.probability),
                         seed=self.seed, latency_ms=self.latency_ms,
                         retry_after=None if self.retry_after is None else float(self.retry_after))


class FaultOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    id: str
    method: str | None = None
    path: str | None = None
    webhook: str | None = None
    mode: str | None = None
    status: int | None = None
    times: int | None = None
    remaining: int | None = Field(default=None, description="Of `times`, how many calls it still fails.")
    probability: float | None = None
    seed: int | None = None
    latency_ms: int = Field(alias="latencyMs")
    retry_after: float | None = Field(default=None, alias="retryAfter")
    calls: int = Field(description="Matching calls (or deliveries) it has seen.")
    hits: int = Field(description="Of those, how many it faulted.")
    created_at: str = Field(alias="createdAt")

    @classmethod
    def of(cls, fault: Fault) -> FaultOut:
        return cls(id=fault.id, method=fault.method, path=fault.path, webhook=fault.webhook_id, mode=fault.mode,
                   status=fault.status, times=fault.times, remaining=fault.remaining,
                   probability=fault.probability, seed=fault.seed, latency_ms=fault.latency_ms,
                   retry_after=fault.retry_after, calls=fault.calls, hits=fault.hits,
                   created_at=iso_instant(fault.created_at))


class FaultsOut(BaseModel):
    faults: list[FaultOut]


class ClearedOut(BaseModel):
    deleted: int


class EventIn(SandboxIn):
    event: StrictStr = Field(max_length=100)
    account: StrictStr = Field(max_length=100)
    overrides: dict[str, Any] = Field(default_factory=dict,
                                      description="Merged into the built payload, objects key by key.")


class EventOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    event: str
    account: str
    event_id: int | None = Field(alias="eventId", description="The outbox's event; null when no webhook listens.")
    event_key: str | None = Field(alias="eventKey", description="Its X-OFAPI-Idempotency-Key, as receivers see it.")
    deliveries: int = Field(description="Deliveries queued: one per webhook of the team subscribed to it.")
    payload: dict[str, Any]
