"""Trigger an event (docs/sandbox.md): `POST /sandbox/v1/events` writes one webhook event
of an account the key controls through the normal outbox, for the team's webhooks subscribed to it."""

from __future__ import annotations

from fastapi import APIRouter

from massdm.api.responses import ERRORS
from massdm.api.sandbox import SandboxCaller
from massdm.api.schemas.sandbox_faults import EventIn, EventOut
from massdm.sandbox import events as sandbox_events

router = APIRouter(tags=["Sandbox"], responses=ERRORS)


@router.post("/sandbox/v1/events", response_model=EventOut,
             summary="Send a webhook event of an account, built from its data, with your overrides")
def trigger_event(call: SandboxCaller, body: EventIn) -> EventOut:
    state = call.state
    sandbox_events.check_event(body.event)
    triggered = sandbox_events.trigger(state.engine, state.clock, call.account(body.account), body.event,
                                       body.overrides, unsend_window=state.settings.unsend_window_seconds)
    if triggered.deliveries:
        state.wake_workers()  # the dispatcher sends it now, not at its next poll
    return EventOut(event=triggered.event, account=triggered.account_id, event_id=triggered.event_id,
                    event_key=triggered.event_key, deliveries=triggered.deliveries, payload=triggered.payload)
