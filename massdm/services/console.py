"""Signing in to the web console: an API key (or a one-time link) becomes a session.

The browser keeps only a random session token (in a signed, HttpOnly cookie: massdm/console/session.py);
the store keeps its hash, the key it was signed in with and the session's CSRF token. Signing out
ends the row, so an old cookie stops working at once; so does revoking the key.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection

from massdm.domain import idempotency as idempotency_rules
from massdm.domain.idempotency import Claim, StoredAttempt
from massdm.errors import NotFound, Unauthorized
from massdm.services import accounts as account_service
from massdm.services import idempotency as idempotency_service
from massdm.store import api_keys as key_store
from massdm.store import console_sessions as session_store
from massdm.store import teams as team_store
from massdm.store.api_keys import ApiKey

SESSION_LIFETIME = timedelta(hours=12)
LINK_LIFETIME = timedelta(minutes=15)


@dataclass(frozen=True)
class Session:
    """A live console session: who is signed in (`key`) and the token its forms must carry."""

    id: int
    key: ApiKey
    csrf_token: str

    def csrf_matches(self, sent: str | None) -> bool:
        return sent is not None and hmac.compare_digest(sent.encode(), self.csrf_token.encode())


@dataclass(frozen=True)
class NewSession:
    token: str  # goes into the cookie, never stored
    session: Session


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def _open(connection: Connection, key: ApiKey, now: datetime) -> NewSession:
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    session_id = session_store.create_session(connection, token_hash=_hash(token), key_id=key.id, csrf_token=csrf,
                                              now=now, expires_at=now + SESSION_LIFETIME)
    return NewSession(token, Session(session_id, key, csrf))


def sign_in(connection: Connection, api_key: str, now: datetime) -> NewSession:
    """A session for the key (Unauthorized if it is unknown, revoked or not an "api" key)."""
    key = account_service.authenticate(connection, f"Bearer {api_key.strip()}")
    return _open(connection, key, now)


def sign_in_with_link(connection: Connection, token: str, now: datetime) -> NewSession:
    """Redeem a one-time link (Unauthorized if unknown, used or expired)."""
    key_id = session_store.redeem_link(connection, _hash(token), now)
    key = key_store.key_by_id(connection, key_id) if key_id is not None else None
    if key is None or "api" not in key.scopes:
        raise Unauthorized("This sign-in link is unknown, used or expired. Ask for a new one: massdm console link.")
    return _open(connection, key, now)


def session_for(connection: Connection, token: str | None, now: datetime) -> Session | None:
    """The live session the cookie's token names, or None."""
    if not token:
        return None
    stored = session_store.find_session(connection, _hash(token), now)
    return Session(stored.id, stored.key, stored.csrf_token) if stored is not None else None


def sign_out(connection: Connection, session: Session, now: datetime) -> None:
    session_store.end_session(connection, session.id, now)


def issue_link(connection: Connection, team_slug: str, now: datetime, *, key_id: int | None = None) -> str:
    """A one-time sign-in token for one of the team's active keys (`key_id`, or its oldest key with
    every account): what `massdm console link` prints as a URL."""
    team = team_store.get_team_by_slug(connection, team_slug)
    if team is None:
        raise NotFound(f"Team {team_slug} does not exist.")
    keys = [k for k in key_store.list_team_keys(connection, team.id) if k.revoked_at is None and "api" in k.scopes]
    if key_id is not None:
        chosen = next((k for k in keys if k.id == key_id), None)
    else:
        chosen = next((k for k in reversed(keys) if k.all_accounts), None)
    if chosen is None:
        raise NotFound(f"Team {team_slug} has no such active API key." if key_id is not None
                       else f"Team {team_slug} has no active API key for every account: create one first.")
    token = secrets.token_urlsafe(32)
    session_store.create_link(connection, token_hash=_hash(token), key_id=chosen.id, now=now,
                              expires_at=now + LINK_LIFETIME)
    return token


# --- a form sent once ---------------------------------------------------------------------------------

_SUBMITTED = "console form"  # what every submission of one form is, whatever its fields say by then


def new_submission() -> str:
    """The token a form that must act once carries (compose's Send): a double click, a reload of the
    answer, or the back button and Send again all post the same token."""
    return secrets.token_urlsafe(18)


def claim_submission(connection: Connection, session: Session, path: str, token: str,
                     now: datetime) -> str | Claim:
    """Claim the form's submission in the unit that will act on it: the address its first submission was
    answered with (it acted already: show that), or the claim to `complete_submission` with. The API's
    idempotency keys do the work (services/idempotency.py), scoped to the session and the form's path,
    and the claim commits or rolls back with the action itself."""
    idempotency_rules.check_key(token)
    scope = idempotency_rules.scope_hash(f"console-session:{session.id}", "POST", path, token)
    decision, held = idempotency_service.claim(connection, scope, _SUBMITTED, now, session.key.team_id)
    if decision == "replay":
        assert isinstance(held, StoredAttempt) and held.body is not None
        return held.body.decode()
    assert isinstance(held, Claim)
    return held


def complete_submission(connection: Connection, held: Claim, answered_with: str) -> None:
    """Remember, with the action, the address the submission was answered with."""
    idempotency_service.complete(connection, held, 303, "text/uri-list", answered_with.encode())
