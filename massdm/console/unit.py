"""One console request: its session, its CSRF check, its unit of work, its page.

Every console route is `await console_page(request, kind, work)` (or `form_page` for a form post):
the work runs in the same unit of work as an API call (`api/transaction.in_unit`), with a
`ConsoleCall` that knows who is signed in. Errors become pages: a signed-out browser is sent to
sign in, a form without its session's CSRF token gets 403 before anything is done, and a service
error (not found, invalid, conflict) is rendered with its status code after the unit rolled back.

The sandbox's controls are the exception (`control_page`): like the control API's routes
(api/sandbox.py), they check the session in a short unit of its own and then work outside any,
since massdm.sandbox's functions run transactions of their own (an advance of the clock, many).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import quote

from sqlalchemy import Connection
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from massdm.api.admission import Kind
from massdm.api.state import AppState
from massdm.api.transaction import RequestUnit, in_unit
from massdm.clock import DrivenClock
from massdm.console.rendering import render
from massdm.console.session import CSRF_FIELD, CSRF_HEADER, token_from
from massdm.errors import MassdmError, NotFound
from massdm.services import accounts as account_service
from massdm.services import console as console_service
from massdm.services import webhooks as webhook_service
from massdm.services.console import Session
from massdm.store.accounts import Account
from massdm.store.api_keys import ApiKey

SIGN_IN = "/console/sign-in"


class SignInNeeded(Exception):
    """No live session: the browser is sent to the sign-in page."""


class CsrfRejected(Exception):
    """A form post without its session's CSRF token: refused before it does anything."""


@dataclass
class ConsoleCall:
    """What a console page's work has: the unit's connection, who is signed in, and `now`."""

    request: Request
    unit: RequestUnit
    session: Session
    now: datetime
    form: FormData | None = None
    _accounts: list[Account] | None = field(default=None, repr=False)
    outside_unit: bool = False  # a control_page's work: its unit has ended, there is no connection

    @property
    def state(self) -> AppState:
        return self.unit.state

    @property
    def connection(self) -> Connection:
        if self.outside_unit:
            raise RuntimeError("this work runs outside a unit of work: use call.state.engine, as massdm.sandbox does")
        return self.unit.connection

    @property
    def key(self) -> ApiKey:
        return self.session.key

    @property
    def accounts(self) -> list[Account]:
        """The accounts the signed-in key may use (a limited key: only its own)."""
        if self._accounts is None:
            self._accounts = account_service.accounts_for_key(self.connection, self.key)
        return self._accounts

    def account(self, account_id: str) -> Account:
        """The account, if the key may use it; 404 as the API answers for any other."""
        for account in self.accounts:
            if account.id == account_id:
                return account
        raise NotFound(f"Account {account_id} was not found.")

    def field(self, name: str, default: str = "") -> str:
        """A text field of the posted form (stripped)."""
        value = self.form.get(name) if self.form is not None else None
        return value.strip() if isinstance(value, str) else default

    def fields(self, name: str) -> list[str]:
        """Every value of a repeated field (checkboxes, multi-selects), blanks dropped."""
        if self.form is None:
            return []
        return [v.strip() for v in self.form.getlist(name) if isinstance(v, str) and v.strip()]

    def page(self, template: str, context: Mapping[str, Any] | None = None, *, account: Account | None = None,
             status_code: int = 200) -> Response:
        """The page `template`, with what every page's frame shows: the accounts, the current one,
        the CSRF token its forms carry, and whether the sandbox page exists."""
        frame = {
            "key": self.key, "accounts": self.accounts, "account": account, "csrf_token": self.session.csrf_token,
            "sandbox": self.state.settings.sandbox, "now": self.now, "path": self.request.url.path,
        }
        return render(self.request, template, {**frame, **(context or {})}, status_code)

    def redirect(self, url: str) -> Response:
        """After a form post: see the result at `url` (303, so a reload does not post again). An htmx
        request is told to go there itself."""
        if self.request.headers.get("hx-request") == "true":
            return Response(status_code=204, headers={"HX-Redirect": url})
        return RedirectResponse(url, status_code=303)


def session_time(state: AppState) -> datetime:
    """The time sessions (and sign-in links) are judged by: the wall clock, even in sandbox mode,
    where the app's clock is the driven one and may be days ahead. Advancing the sandbox's clock
    must not sign anyone out, nor a reset back to the wall clock stretch a session's life."""
    clock = state.clock
    return clock.wall() if isinstance(clock, DrivenClock) else clock.now()


def _resolve(request: Request, unit: RequestUnit, form: FormData | None, check_csrf: bool) -> ConsoleCall:
    secret = webhook_service.instance_secret(unit.connection)
    now = unit.state.clock.now()
    session = console_service.session_for(unit.connection, token_from(request, secret), session_time(unit.state))
    if session is None:
        raise SignInNeeded
    if check_csrf:
        sent = form.get(CSRF_FIELD) if form is not None else None
        if not isinstance(sent, str):
            sent = request.headers.get(CSRF_HEADER)
        if not session.csrf_matches(sent):
            raise CsrfRejected
    return ConsoleCall(request, unit, session, now, form)


async def console_page(request: Request, kind: Kind, work: Callable[[ConsoleCall], Response]) -> Response:
    """A page that only reads (GET): `work(call)` in a read unit."""
    return await _run(request, kind, work, form=None, check_csrf=False)


Invalid = Callable[[ConsoleCall, MassdmError], Response]


async def form_page(request: Request, work: Callable[[ConsoleCall], Response], *, form: FormData | None = None,
                    invalid: Invalid | None = None) -> Response:
    """A form post: the form is read, the CSRF token checked, then `work(call)` runs in a write unit.

    `form`: the form, when the route read it itself (an upload streamed to staging files).
    `invalid(call, error)`: the page for a service error, rendered in a read unit of its own once
    the write has rolled back (a service may have written before it found the error): typically the
    form again, with the error's messages and what was typed. Without it, the error page.
    """
    if form is None:
        form = await request.form()
    try:
        return await _run(request, "write", work, form=form, check_csrf=True, catch=invalid is None)
    except MassdmError as error:
        assert invalid is not None
        failed = error
    return await _run(request, "read", lambda call: invalid(call, failed), form=form, check_csrf=False)


async def check_form(request: Request, form: FormData, check: Callable[[ConsoleCall], object]) -> Response | None:
    """None if the form comes from a live session with its CSRF token and `check(call)` passes (the
    account is one the key may use, say), else the answer to give (sign in, 403, the error page): for
    a route that must know before it works on the body (processing an uploaded file)."""
    try:
        await in_unit(request, "read", lambda unit: check(_resolve(request, unit, form, check_csrf=True)))
    except (SignInNeeded, CsrfRejected, MassdmError) as refused:
        return _refused(request, refused)
    return None


async def control_page(request: Request, work: Callable[[ConsoleCall], Response], *, form: bool = False) -> Response:
    """A sandbox control's page (GET), or its form post (`form=True`: the form is read and its CSRF
    token checked). The session and the key's accounts are read in a short read unit, then
    `work(call)` runs in a worker thread outside any unit, as the control API's routes run theirs:
    the sandbox's functions take `call.state.engine` and begin and commit their own transactions."""
    posted = await request.form() if form else None

    def resolve(unit: RequestUnit) -> ConsoleCall:
        call = _resolve(request, unit, posted, form)
        call.accounts  # noqa: B018 - read now, while the unit is open: the page's frame shows them
        return call

    try:
        call = await in_unit(request, "read", resolve)
        call.outside_unit = True
        return await run_in_threadpool(work, call)
    except (SignInNeeded, CsrfRejected, MassdmError) as error:
        return _refused(request, error)


async def _run(request: Request, kind: Kind, work: Callable[[ConsoleCall], Response], *, form: FormData | None,
               check_csrf: bool, catch: bool = True) -> Response:
    try:
        return await in_unit(request, kind, lambda unit: work(_resolve(request, unit, form, check_csrf)))
    except (SignInNeeded, CsrfRejected) as refused:
        return _refused(request, refused)
    except MassdmError as error:
        if not catch:
            raise
        return _refused(request, error)


def _refused(request: Request, error: SignInNeeded | CsrfRejected | MassdmError) -> Response:
    """The page for a request that did not get to do its work, or whose work raised a service error."""
    if isinstance(error, SignInNeeded):
        target = f"{SIGN_IN}?next={quote(request.url.path)}"
        if request.headers.get("hx-request") == "true":
            return Response(status_code=401, headers={"HX-Redirect": target})
        return RedirectResponse(target, status_code=303)
    if isinstance(error, CsrfRejected):
        return error_page(request, 403, "This form has expired or did not come from this console. "
                                        "Reload the page and try again.")
    return error_page(request, error.status_code, error.message)


def error_page(request: Request, status_code: int, message: str) -> Response:
    return render(request, "error.html", {"status_code": status_code, "message": message}, status_code)


def is_safe_next(target: str | None) -> bool:
    """Whether a `next` address stays inside the console (no open redirect)."""
    return target is not None and target.startswith("/console") and "\\" not in target
