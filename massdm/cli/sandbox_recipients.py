"""`massdm sandbox recipients MESSAGE_ID`: the twin of GET /sandbox/v1/messages/{id}/recipients, on the store itself.

An operator's tool: any message of the store, whatever its account (the API's key limits it to its own).
"""

from __future__ import annotations

from typing import Annotated

import typer

from massdm.cli.session import clock_for, console, fail, open_store, print_json
from massdm.config import Settings
from massdm.domain.recipients import STATUSES
from massdm.errors import MassdmError
from massdm.services import recipients as recipient_service
from massdm.services.recipients import Ledger, LedgerQuery
from massdm.store.db import snapshot


def recipients(
    message_id: Annotated[int, typer.Argument(help="The mass message (queue) id.", min=1)],
    status: Annotated[str | None, typer.Option(help=f"Only the fans with this status: {', '.join(STATUSES)}.")] = None,
    limit: Annotated[int, typer.Option(help="How many fans.", min=1, max=1000)] = 100,
    offset: Annotated[int, typer.Option(help="How many to skip (fan-id order).", min=0)] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="Print the API's JSON.")] = False,
) -> None:
    """What happened to every fan a mass message considered (delivered, failed, skipped...), and why."""
    if status is not None and status not in STATUSES:
        fail(f"--status must be one of {', '.join(STATUSES)}, not {status!r}")
    settings = Settings().model_copy(update={"sandbox": True})
    engine = open_store(settings)
    try:
        with snapshot(engine) as connection:
            ledger = recipient_service.ledger(connection, message_id, LedgerQuery(status, limit, offset),
                                              clock_for(settings, engine).now(), account_ids=None)
    except MassdmError as error:
        fail(error.message)
    if as_json:
        from massdm.api.schemas.sandbox_recipients import RecipientsOut  # the API's own shape, exactly

        print_json(RecipientsOut.of(ledger).model_dump(by_alias=True))
        return
    _print(ledger)


def _print(ledger: Ledger) -> None:
    counts = ", ".join(f"{status} {n:,}" for status, n in ledger.counts.items())
    console.print(f"message {ledger.message.id}: {ledger.total:,} fans considered ({counts})")
    if ledger.reasons:
        console.print("reasons: " + ", ".join(f"{reason} {n:,}" for reason, n in ledger.reasons.items()))
    for r in ledger.recipients:
        why = r.reason + (f" ({r.excluded_by})" if r.excluded_by else "") if r.reason else ""
        console.print(f"{r.fan_id:>12}  {r.username:<24} {r.status:<10} {why}", highlight=False)
    if ledger.next_offset is not None:
        console.print(f"more: --offset {ledger.next_offset}")
