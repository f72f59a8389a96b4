"""Faults on purpose (docs/sandbox.md): set, list and clear a team's faults, and find
the ones a call matches. The HTTP layer that applies them is api/fault_injection.py; the webhook
dispatcher applies a webhook's.

Each control works in a transaction of its own on `engine` (the control routes and the CLI own no
request transaction); `candidates` and `fire` take the connection of the caller's unit.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import Connection, Engine

from massdm.clock import Clock
from massdm.domain import faults as rules
from massdm.domain.api_keys import hash_api_key
from massdm.domain.faults import Hit
from massdm.domain.webhooks import is_webhook_id
from massdm.errors import NotFound, ValidationFailed
from massdm.store import sandbox_faults as fault_store
from massdm.store import teams as team_store
from massdm.store import webhook_subscriptions as webhook_store
from massdm.store.db import transaction
from massdm.store.sandbox_faults import Fault, NewFault

MAX_SEED = 2**62


@dataclass(frozen=True)
class FaultSpec:
    """What a user asks for: an API call's fault (`path`, `method`) or a webhook's (`webhook`, `mode`)."""

    path: str | None = None
    method: str | None = None
    webhook: str | None = None
    mode: str | None = None
    status: int | None = None
    times: int | None = None
    probability: float | None = None
    seed: int | None = None
    latency_ms: int = 0
    retry_after: float | None = None


def add_fault(engine: Engine, clock: Clock, team_id: int, spec: FaultSpec) -> Fault:
    """Keep a new fault for the team (422 naming the field for one that cannot be; 404 for a webhook
    that is not the team's). A probability without a seed gets a random one, shown, to replay it."""
    _check(spec)
    seed = spec.seed if spec.seed is not None or spec.probability is None else secrets.randbelow(MAX_SEED)
    with transaction(engine) as connection:
        if spec.webhook is not None:
            known = is_webhook_id(spec.webhook)
            if not known or webhook_store.get_webhook(connection, team_id, spec.webhook) is None:
                raise NotFound(f"No webhook has the id {spec.webhook}.")
        status = spec.status
        if spec.webhook is not None and spec.mode == "status" and status is None:
            status = 500
        new = NewFault(
            id=rules.new_fault_id(), team_id=team_id, method=spec.method.upper() if spec.method else None,
            path=spec.path, webhook_id=spec.webhook, mode=spec.mode if spec.webhook else None, status=status,
            times=spec.times, probability=spec.probability, seed=seed, latency_ms=spec.latency_ms,
            retry_after=spec.retry_after,
        )
        return fault_store.insert_fault(connection, new, clock.now())


def _check(spec: FaultSpec) -> None:
    if (spec.path is None) == (spec.webhook is None):
        raise ValidationFailed.field("path", "Send `path` (an API call's fault) or `webhook` (a webhook's), "
                                     "one of them.")
    if spec.times is not None and spec.probability is not None:
        raise ValidationFailed.field("times", "Send `times` or `probability`, not both.")
    if spec.path is not None:
        problem = rules.template_problem(spec.path)
        if problem:
            raise ValidationFailed.field("path", problem)
        if spec.mode is not None:
            raise ValidationFailed.field("mode", "`mode` is for a webhook's fault; an API call's has `status`.")
        if spec.status is None and spec.latency_ms == 0:
            raise ValidationFailed.field("status", "Send a `status` to answer with, or `latencyMs` (or both).")
        if spec.status is not None and spec.status not in rules.STATUSES:
            statuses = ", ".join(map(str, rules.STATUSES))
            raise ValidationFailed.field("status", f"An API call's fault answers {statuses}.")
        return
    if spec.method is not None or spec.retry_after is not None or spec.latency_ms:
        field = "method" if spec.method is not None else "retryAfter" if spec.retry_after is not None else "latencyMs"
        raise ValidationFailed.field(field, f"`{field}` is for an API call's fault; a webhook's has `mode`.")
    if spec.mode not in rules.WEBHOOK_MODES:
        raise ValidationFailed.field("mode", "A webhook's fault has `mode`: timeout or status.")
    if spec.mode == "timeout" and spec.status is not None:
        raise ValidationFailed.field("status", "A timeout has no status; use mode: status to answer one.")
    if spec.status is not None and not 400 <= spec.status <= 599:
        raise ValidationFailed.field("status", "A webhook's fault answers a 4xx or 5xx status.")


def list_faults(engine: Engine, team_id: int) -> list[Fault]:
    with transaction(engine) as connection:
        return fault_store.list_faults(connection, team_id)


def get_fault(engine: Engine, team_id: int, fault_id: str) -> Fault:
    with transaction(engine) as connection:
        found = fault_store.get_fault(connection, team_id, fault_id) if rules.is_fault_id(fault_id) else None
    if found is None:
        raise NotFound(f"No fault has the id {fault_id}.")
    return found


def clear_faults(engine: Engine, team_id: int, fault_id: str | None = None) -> int:
    """Delete one fault of the team (404 if it has none by that id) or all of them; how many went."""
    if fault_id is not None and not rules.is_fault_id(fault_id):
        raise NotFound(f"No fault has the id {fault_id}.")
    with transaction(engine) as connection:
        deleted = fault_store.delete_faults(connection, team_id, fault_id)
    if fault_id is not None and not deleted:
        raise NotFound(f"No fault has the id {fault_id}.")
    return deleted


def team_id_for(engine: Engine, slug: str) -> int:
    """The team a CLI command acts for, by its slug (404 if there is none)."""
    with transaction(engine) as connection:
        team = team_store.get_team_by_slug(connection, slug)
    if team is None:
        raise NotFound(f"No team has the slug {slug}.")
    return team.id


def candidates(connection: Connection, authorization: str | None, method: str, path: str) -> list[Fault]:
    """The faults of the caller's team that match this API call, oldest first (none without a valid
    bearer key: such a call gets its ordinary 401)."""
    if not path.startswith(rules.FAULTABLE_PREFIXES):
        return []
    scheme, _, token = (authorization or "").strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return []
    found = fault_store.live_call_faults(connection, hash_api_key(token.strip()), method)
    return [fault for fault in found if fault.path is not None and rules.path_matches(fault.path, path)]


def fire(connection: Connection, matching: list[Fault]) -> Hit | None:
    """The first of the matching faults that fires on this call, counted (store.sandbox_faults)."""
    return fault_store.fire(connection, matching)
