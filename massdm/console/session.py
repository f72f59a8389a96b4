"""The console's session cookie: a random token, signed, HttpOnly, SameSite=Lax.

The token names a session row (services/console.py); the signature (itsdangerous, keyed by this
database's secret) turns away a forged or mangled cookie before any lookup. The cookie carries no
key and nothing else: signing out ends the row, so a copied cookie stops working too.
"""

from __future__ import annotations

import hmac
import secrets

from itsdangerous import BadSignature, Signer
from starlette.requests import Request
from starlette.responses import Response

from massdm.services.console import SESSION_LIFETIME

COOKIE = "massdm_console"
SIGN_IN_COOKIE = "massdm_console_sign_in"  # the sign-in form's CSRF token, before there is a session
CSRF_FIELD = "csrf"
CSRF_HEADER = "x-csrf-token"


def _signer(secret: str) -> Signer:
    return Signer(secret, salt="massdm.console.session")


def token_from(request: Request, secret: str) -> str | None:
    """The session token the request's cookie carries, if its signature holds."""
    cookie = request.cookies.get(COOKIE)
    if not cookie:
        return None
    try:
        return _signer(secret).unsign(cookie).decode()
    except (BadSignature, UnicodeDecodeError):
        return None


def set_cookie(response: Response, token: str, secret: str, *, secure: bool) -> None:
    response.set_cookie(COOKIE, _signer(secret).sign(token).decode(), max_age=int(SESSION_LIFETIME.total_seconds()),
                        httponly=True, samesite="lax", secure=secure, path="/")


def clear_cookie(response: Response) -> None:
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="lax")


def sign_in_token(request: Request) -> str:
    """The sign-in form's CSRF token: the browser's own (double-submit cookie), or a new one. Another site
    cannot read it, and a SameSite=Lax cookie is not sent with its cross-site post, so it cannot sign a
    victim in to the attacker's team."""
    return request.cookies.get(SIGN_IN_COOKIE) or secrets.token_urlsafe(32)


def set_sign_in_cookie(response: Response, token: str, *, secure: bool) -> None:
    response.set_cookie(SIGN_IN_COOKIE, token, max_age=3600, httponly=True, samesite="lax", secure=secure,
                        path="/console")


def sign_in_token_matches(request: Request, sent: object) -> bool:
    expected = request.cookies.get(SIGN_IN_COOKIE)
    return (isinstance(sent, str) and expected is not None
            and hmac.compare_digest(sent.encode(), expected.encode()))
