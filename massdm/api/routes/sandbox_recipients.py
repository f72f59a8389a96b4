"""The recipients ledger (docs/sandbox.md): `GET /sandbox/v1/messages/{id}/recipients`,
what happened to every fan a mass message considered, and why."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request

from massdm.api.responses import ERRORS
from massdm.api.sandbox import SandboxCaller
from massdm.api.schemas.sandbox_recipients import RecipientsOut
from massdm.api.transaction import RequestUnit, in_unit
from massdm.domain.ids import MAX_DB_ID
from massdm.services import recipients as recipient_service
from massdm.services.recipients import LedgerQuery

router = APIRouter(tags=["Sandbox"], responses=ERRORS)

MessageId = Annotated[int, Path(ge=1, le=MAX_DB_ID, description="The mass message (queue) id.")]
Status = Literal["delivered", "viewed", "purchased", "failed", "skipped", "pending"]


@router.get("/sandbox/v1/messages/{message_id}/recipients", response_model=RecipientsOut,
            summary="Every fan a mass message considered: delivered, viewed, purchased, failed, skipped or "
            "pending, and why")
async def list_recipients(
    request: Request, call: SandboxCaller, message_id: MessageId,
    status: Annotated[Status | None, Query(description="Only the fans with this status.")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_DB_ID)] = 0,
) -> RecipientsOut:
    query = LedgerQuery(status=status, limit=limit, offset=offset)

    def read(unit: RequestUnit) -> RecipientsOut:
        ledger = recipient_service.ledger(unit.connection, message_id, query, call.state.clock.now(),
                                          account_ids=call.account_ids)
        return RecipientsOut.of(ledger)

    return await in_unit(request, "read", read)
