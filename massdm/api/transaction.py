"""A request's unit of work: the one way the HTTP edge reaches the database.

Routes (through `api/routing.py`), the streaming routes, the idempotency middleware and the
error handlers all run their database work as `await in_unit(request, kind, work)`: one trip to
a worker thread (`api/admission.py`), where a unit is begun, `work(unit)` runs, and the unit
commits, or rolls back if `work` raised. Services never begin or commit anything: they work in
the connection they are given.

A read runs in a snapshot: on SQLite a deferred transaction in WAL mode, which never waits for
or blocks a writer, however long it reads; when it charges (once it has read what it answers) the
snapshot ends and the same connection writes the charge and the key's last-use stamp in a short
write transaction (on PostgreSQL, where reads do not block writers anyway, all in one
transaction). A write runs in one transaction holding its effect, its charge and, under an
`Idempotency-Key`, the response a retry will get: the three commit together or not at all, so a
crash at any moment leaves either a committed answer to replay or nothing that happened
(docs/reliability.md).
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack
from typing import Any, TypeVar

from pydantic import BaseModel
from sqlalchemy import Connection
from starlette.requests import Request
from starlette.responses import Response

from massdm.api.admission import Kind
from massdm.api.state import call_of, state_of
from massdm.services import accounts as account_service
from massdm.services import idempotency as idempotency_service
from massdm.store.api_keys import ApiKey
from massdm.store.db import is_sqlite, snapshot, transaction, writing

T = TypeVar("T")


class RequestUnit:
    """An open unit of work of one request (made by `in_unit`)."""

    def __init__(self, request: Request, kind: Kind, connection: Connection, stack: ExitStack) -> None:
        self.request = request
        self.kind = kind
        self.state = state_of(request)
        self.connection = connection
        self.key: ApiKey | None = None  # the caller, once authenticated (its last use is stamped at the end)
        self._stack = stack
        self._write: Connection | None = None

    def write_connection(self) -> Connection:
        """Where the request's own writes (charge, key use) go: its transaction, or for a read on
        SQLite a short write transaction on the same connection, begun now (ending the read
        snapshot: a route charges once it has read what it answers) and ended with the unit."""
        if self.kind == "write" or not is_sqlite(self.state.engine):
            return self.connection
        if self._write is None:  # the reading is done: the snapshot ends, the same connection writes
            self._write = self._stack.enter_context(writing(self.connection))
        return self._write

    def charge(self, team_id: int, cost: int) -> int:
        """Take `cost` credits in this unit (402 if short); the new balance."""
        return self.state.ledger_factory(self.write_connection()).charge(team_id, cost)

    def respond(self, result: Any, status_code: int | None) -> Any:
        """The route's result as the response, with what must commit alongside it written now:
        the key's last use and, under an Idempotency-Key, the response itself."""
        response = _rendered(result, status_code or 200)
        now = self.state.clock.now()
        if self.key is not None and account_service.key_use_is_stale(self.key, now):
            account_service.stamp_key_use(self.write_connection(), self.key, now)
        call = call_of(self.request)
        if call.claim is not None and self.kind == "write" and isinstance(response, Response):
            idempotency_service.complete(self.write_connection(), call.claim, response.status_code,
                                         response.headers.get("content-type"), bytes(response.body))
            call.stored = True
        return response


async def in_unit(request: Request, kind: Kind, work: Callable[[RequestUnit], T]) -> T:
    """`work(unit)` in one worker thread, in a unit of work of `kind` that commits when `work`
    returns and rolls back if it raises; 503 if no place frees up in time (api/admission.py)."""
    state = state_of(request)
    begin = snapshot if kind == "read" else transaction

    def run() -> T:
        with ExitStack() as stack:
            unit = RequestUnit(request, kind, stack.enter_context(begin(state.engine)), stack)
            return work(unit)

    return await state.admission.run(kind, run)


def _rendered(result: Any, status_code: int) -> Any:
    """Models become JSON bytes here, in the route's thread (FastAPI would validate them again
    and serialise them in another trip); responses pass as they are."""
    if isinstance(result, BaseModel):
        return Response(result.model_dump_json(by_alias=True), status_code=status_code, media_type="application/json")
    if isinstance(result, list) and all(isinstance(item, BaseModel) for item in result):
        body = b"[" + b",".join(item.model_dump_json(by_alias=True).encode() for item in result) + b"]"
        return Response(body, status_code=status_code, media_type="application/json")
    return result
