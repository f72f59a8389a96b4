"""What every control of the sandbox page shares (routes/sandbox.py): the page itself, built from the
same massdm.sandbox reads as the control API's GETs, and a control's answer, which is that page again
with its report (`Done`) or, when the sandbox refused, with the API's messages (`Refusal`) at the
API's status and what the user typed kept.

The key's authority is the control API's (api/sandbox.py's SandboxCall): it controls the accounts
the signed-in key may use (every account of the team, or the ones a limited key names), and the
team's whole state (webhooks, the clock on a reset, snapshots) only with a key of every account.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from starlette.requests import Request
from starlette.responses import Response

from massdm.api.errors import validation_failed
from massdm.clock import DrivenClock
from massdm.console.unit import ConsoleCall, control_page
from massdm.errors import MassdmError, ValidationFailed
from massdm.sandbox import clock as sandbox_clock
from massdm.sandbox import engagement as sandbox_engagement
from massdm.sandbox import faults as sandbox_faults
from massdm.sandbox import reset as sandbox_reset
from massdm.sandbox import snapshots as sandbox_snapshots
from massdm.store.due_work import Totals
from massdm.store.team_state import Target

PAGE = "/console/sandbox"
TEMPLATE = "sandbox/page.html"
_WHOLE = re.compile(r"[+-]?\d+")
Model = TypeVar("Model", bound=BaseModel)


@dataclass(frozen=True)
class Done:
    """What a control did, shown above the page: a sentence, and what ran or changed."""

    section: str
    message: str
    ran: Totals | None = None  # an advance's: what ran on the key's accounts meanwhile
    rows: list[tuple[str, Any]] = field(default_factory=list)  # (what, how many) for a table


@dataclass(frozen=True)
class Refusal:
    """A control the sandbox refused: its section, the messages the API gives, what was typed."""

    section: str
    status_code: int
    messages: list[str]
    fields: frozenset[str]  # the fields the messages name
    typed: Mapping[str, str]

    @classmethod
    def of(cls, section: str, error: MassdmError, typed: Mapping[str, str]) -> Refusal:
        named = error.errors or {}
        messages = [m for ms in named.values() for m in ms] or [error.message]
        return cls(section, error.status_code, messages, frozenset(named), typed)


def clock_of(call: ConsoleCall) -> DrivenClock:
    clock = call.state.clock
    assert isinstance(clock, DrivenClock), "sandbox mode runs on the driven clock (massdm/app.py)"
    return clock


def controlled(call: ConsoleCall) -> list[str]:
    """The accounts the key controls, in id order (as SandboxCall.account_ids)."""
    return sorted(account.id for account in call.accounts)


def target(call: ConsoleCall, account_id: str | None = None) -> Target:
    """What a reset or snapshot of this key covers, as the control API's `_target`."""
    named = None if account_id is None else call.account(account_id).id
    return sandbox_reset.target(call.key.team_id, controlled(call), call.key.all_accounts, named)


def page(call: ConsoleCall, *, done: Done | None = None, refusal: Refusal | None = None) -> Response:
    engine, team_id = call.state.engine, call.key.team_id
    now, frozen = sandbox_clock.read(clock_of(call))
    engagement = [(account, sandbox_engagement.read_settings(engine, account.id)) for account in call.accounts]
    context = {
        "clock_now": now, "clock_text": now.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
        "clock_input": now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S"), "frozen": frozen,
        "engagement": engagement, "faults": sandbox_faults.list_faults(engine, team_id),
        "snapshots": sandbox_snapshots.listing(engine, team_id), "whole_team": call.key.all_accounts,
        "done": done, "refusal": refusal,
    }
    return call.page(TEMPLATE, context, status_code=refusal.status_code if refusal else 200)


async def control(request: Request, section: str, act: Callable[[ConsoleCall], Done]) -> Response:
    """A form post of the page: `act(call)` outside any unit (CSRF checked first), then the page with
    its report, or with the sandbox's refusal at its status (never a 500 for a refused control)."""
    def work(call: ConsoleCall) -> Response:
        try:
            done = act(call)
        except MassdmError as error:
            typed = {k: v for k, v in (call.form or {}).items() if isinstance(v, str) and k != "csrf"}
            return page(call, refusal=Refusal.of(section, error, typed))
        return page(call, done=done)

    return await control_page(request, work, form=True)


async def show(request: Request) -> Response:
    return await control_page(request, page)


# --- a form's fields as the control API's JSON body -----------------------------------------------

def numbers(call: ConsoleCall, *names: str) -> dict[str, int | float]:
    """The numeric fields filled in, as JSON would carry them (a whole number an int); blank ones
    are left out, so the API's defaults apply. 422 naming each field that is not a number."""
    values: dict[str, int | float] = {}
    errors: dict[str, list[str]] = {}
    for name in names:
        text = call.field(name)
        if not text:
            continue
        try:
            values[name] = int(text) if _WHOLE.fullmatch(text) else float(text)
        except ValueError:
            errors[name] = [f"The {name} field is invalid: input should be a valid number."]
    if errors:
        raise ValidationFailed(errors)
    return values


def checked(call: ConsoleCall, name: str) -> bool:
    return call.field(name) not in ("", "false", "off")


def body(model: type[Model], data: Mapping[str, Any]) -> Model:
    """`data` read by the control API's own input model: refused with the API's own messages."""
    try:
        return model.model_validate(dict(data))
    except ValidationError as error:
        raise validation_failed(error) from None


def moment(text: str, name: str) -> datetime:
    """A moment typed in the page: ISO 8601, UTC when it has no zone (the page shows UTC)."""
    try:
        parsed = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValidationFailed.field(name, f"{text!r} is not a moment: write it as 2026-12-24T18:00:00 "
                                     "(UTC), or with a zone such as +01:00.") from None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def confirmed(call: ConsoleCall, what: str) -> None:
    if not checked(call, "confirm"):
        raise ValidationFailed.field("confirm", f"Tick the box to confirm: {what}")
