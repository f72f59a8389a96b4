"""The console's keys and credits: the team's balance and usage, its API keys; create one, revoke one.

Keys are listed as services/accounts.list_keys lets the signed-in key see them (a key limited to
some accounts: only itself), with the hint they start with, never their secret. A new key's
secret is in the answer to the form that made it, once, marked `Cache-Control: no-store`: it is in
no URL, no redirect and no session, and nothing can show it again. A key issued here is never
wider than the one signed in (services/accounts.issue_key_as). Revoking the key the console is
signed in with ends the session. Console calls are free of credits and outside the API's rate limits.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Request
from starlette.responses import Response

from massdm.console.session import clear_cookie
from massdm.console.unit import SIGN_IN, ConsoleCall, console_page, form_page
from massdm.domain.ids import parse_db_id
from massdm.errors import NotFound, ValidationFailed
from massdm.services import accounts as account_service
from massdm.services import console as console_service
from massdm.store.api_keys import KeyListing

router = APIRouter(include_in_schema=False)

SCOPES = {"api": "The provider's API (and this console)", "fan": "The fan side: the fan app's endpoints"}
NOTICES = {"revoked": "Key revoked: it authenticates nothing from now on."}


@dataclass(frozen=True)
class KeyForm:
    name: str = ""
    account_ids: tuple[str, ...] = ()
    scopes: tuple[str, ...] = ("api",)


def _keys_page(call: ConsoleCall, *, values: KeyForm | None = None, error: ValidationFailed | None = None,
               notice: str | None = None) -> Response:
    team = account_service.team_usage(call.connection, call.key)
    keys = account_service.list_keys(call.connection, call.key)
    return call.page("keys/list.html", {
        "team": team, "keys": keys, "names": {a.id: a.display_name for a in call.accounts},
        "values": values or KeyForm(), "scopes": SCOPES, "notice": notice,
        "errors": (error.errors or {}) if error else {}, "error": error.message if error else None,
    }, status_code=422 if error else 200)


def _listed(call: ConsoleCall, key_id: str) -> KeyListing:
    """One of the keys the signed-in key may see; 404 for any other (another team's included)."""
    number = parse_db_id(key_id)
    for listed in account_service.list_keys(call.connection, call.key):
        if listed.id == number:
            return listed
    raise NotFound(f"API key {key_id} was not found.")


@router.get("/console/keys")
async def keys_page(request: Request, done: str | None = None) -> Response:
    def work(call: ConsoleCall) -> Response:
        return _keys_page(call, notice=NOTICES.get(done or ""))

    return await console_page(request, "read", work)


@router.post("/console/keys")
async def create_key(request: Request) -> Response:
    def work(call: ConsoleCall) -> Response:
        values = KeyForm(call.field("name"), tuple(call.fields("account_ids")), tuple(call.fields("scopes")))
        try:
            issued = account_service.issue_key_as(call.connection, call.key, name=values.name,
                                                  account_ids=list(values.account_ids),
                                                  scopes=frozenset(values.scopes), now=call.now)
        except ValidationFailed as error:
            return _keys_page(call, values=values, error=error)
        response = call.page("keys/created.html", {
            "issued": issued, "name": values.name, "scopes": sorted(set(values.scopes)),
            "names": {a.id: a.display_name for a in call.accounts},
        })
        response.headers["Cache-Control"] = "no-store"  # the secret: not kept by the browser or a proxy
        return response

    return await form_page(request, work)


@router.get("/console/keys/{key_id}/revoke")
async def revoke_key_page(request: Request, key_id: str) -> Response:
    def work(call: ConsoleCall) -> Response:
        return call.page("keys/revoke.html", {"listed": _listed(call, key_id)})

    return await console_page(request, "read", work)


@router.post("/console/keys/{key_id}/revoke")
async def revoke_key(request: Request, key_id: str) -> Response:
    def work(call: ConsoleCall) -> Response:
        number = parse_db_id(key_id)
        if number is None:
            raise NotFound(f"API key {key_id} was not found.")
        account_service.revoke_key(call.connection, call.key, number, call.now)
        if number != call.key.id:
            return call.redirect("/console/keys?done=revoked")
        console_service.sign_out(call.connection, call.session, call.now)  # it would die with the key anyway
        response = call.redirect(SIGN_IN)
        clear_cookie(response)
        return response

    return await form_page(request, work)
