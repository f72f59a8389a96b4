"""Signing in (with an API key, or a one-time link from `massdm console link`) and out."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from massdm.api.state import state_of
from massdm.api.transaction import in_unit
from massdm.console.rendering import render
from massdm.console.session import (
    CSRF_FIELD,
    clear_cookie,
    set_cookie,
    set_sign_in_cookie,
    sign_in_token,
    sign_in_token_matches,
)
from massdm.console.unit import ConsoleCall, form_page, is_safe_next, session_time
from massdm.errors import Unauthorized
from massdm.services import console as console_service
from massdm.services import webhooks as webhook_service
from massdm.services.console import NewSession

router = APIRouter(include_in_schema=False)
HOME = "/console"


def _signed_in(request: Request, new: NewSession, secret: str, target: str) -> Response:
    response = RedirectResponse(target, status_code=303)
    set_cookie(response, new.token, secret, secure=request.url.scheme == "https")
    return response


def _form(request: Request, target: str | None, error: str | None, status_code: int = 200) -> Response:
    """The sign-in form, with its CSRF token in the form and in a cookie of its own (double submit)."""
    token = sign_in_token(request)
    response = render(request, "sign_in.html", {"next": target, "error": error, "csrf_token": token}, status_code)
    set_sign_in_cookie(response, token, secure=request.url.scheme == "https")
    return response


@router.get("/console/sign-in")
async def sign_in_page(request: Request, next: str | None = None) -> Response:  # noqa: A002 - the query's name
    return _form(request, next if is_safe_next(next) else None, None)


@router.post("/console/sign-in")
async def sign_in(request: Request) -> Response:
    """The key arrives in the form body (never a URL) and leaves nothing behind but a session."""
    form = await request.form()
    api_key = form.get("api_key")
    target = form.get("next")
    target = target if isinstance(target, str) and is_safe_next(target) else HOME
    if not sign_in_token_matches(request, form.get(CSRF_FIELD)):
        return _form(request, target, "This sign-in form has expired or did not come from this console. "
                                      "Try again.", 403)
    if not isinstance(api_key, str) or not api_key.strip():
        return _form(request, target, "Enter an API key.", 422)
    now = session_time(state_of(request))

    def work(unit) -> tuple[NewSession, str]:  # noqa: ANN001 - a RequestUnit
        return console_service.sign_in(unit.connection, api_key, now), webhook_service.instance_secret(unit.connection)

    try:
        new, secret = await in_unit(request, "write", work)
    except Unauthorized:
        return _form(request, target, "That key is unknown or revoked. Check it and try again.", 401)
    return _signed_in(request, new, secret, target)


@router.get("/console/link/{token}")
async def sign_in_with_link(request: Request, token: str) -> Response:
    """A one-time link: used once, it becomes a session; the address holds no key."""
    now = session_time(state_of(request))

    def work(unit) -> tuple[NewSession, str]:  # noqa: ANN001 - a RequestUnit
        return (console_service.sign_in_with_link(unit.connection, token, now),
                webhook_service.instance_secret(unit.connection))

    try:
        new, secret = await in_unit(request, "write", work)
    except Unauthorized as error:
        return _form(request, None, error.message, 401)
    return _signed_in(request, new, secret, HOME)


@router.post("/console/sign-out")
async def sign_out(request: Request) -> Response:
    def work(call: ConsoleCall) -> Response:
        console_service.sign_out(call.connection, call.session, session_time(call.state))
        response = RedirectResponse("/console/sign-in", status_code=303)
        clear_cookie(response)
        return response

    return await form_page(request, work)
