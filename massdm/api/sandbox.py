"""What every route of the sandbox's control API (/sandbox/v1, docs/sandbox.md) starts from.

`SandboxCaller` authenticates the key (any key of the team: 401, 429 as everywhere) in a short
read unit of its own and learns which accounts it controls (every account of the team, or the
ones a limited key names). The routes then do their work outside any request transaction, since
a control call (advancing the clock, seeding a million fans) runs many transactions of its own.
They are mounted only in sandbox mode (massdm/app.py); otherwise every /sandbox path is a 404.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from massdm.api.caller import Caller
from massdm.api.state import AppState, state_of
from massdm.api.transaction import RequestUnit, in_unit
from massdm.errors import NotFound
from massdm.services import accounts as account_service
from massdm.store.api_keys import ApiKey


@dataclass(frozen=True)
class SandboxCall:
    key: ApiKey
    account_ids: tuple[str, ...]  # the accounts this key controls, in id order
    state: AppState

    @property
    def team_id(self) -> int:
        return self.key.team_id

    def account(self, account_id: str) -> str:
        """`account_id` if this key controls it; 404 otherwise (unknown and forbidden look alike)."""
        if account_id not in self.account_ids:
            raise NotFound(f"Account {account_id} was not found.")
        return account_id


async def _sandbox_caller(request: Request) -> SandboxCall:
    caller = Caller(request, scope="api", cost=0, names_account=False)

    def resolve(unit: RequestUnit) -> SandboxCall:
        caller.resolve(unit)
        accounts = account_service.accounts_for_key(unit.connection, caller.key)
        return SandboxCall(caller.key, tuple(sorted(a.id for a in accounts)), state_of(request))

    return await in_unit(request, "read", resolve)


_sandbox_caller.massdm_cost = 0  # type: ignore[attr-defined]  # a caller (api/caller.py): error bodies get _meta
SandboxCaller = Annotated[SandboxCall, Depends(_sandbox_caller)]
