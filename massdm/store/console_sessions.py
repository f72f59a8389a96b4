"""The web console's sign-ins: sessions (one per signed-in browser) and one-time sign-in links.

Only the sha256 of a session's cookie token and of a link's token is stored. A session belongs to
the API key it was signed in with: it sees what the key sees, and ends when the key is revoked
(the join below reads only active keys), when it expires, or when it is signed out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, insert, select, update

from massdm.store.api_keys import KEY_COLUMNS, ApiKey, key_of_row
from massdm.store.tables import api_keys, console_links, console_sessions, teams


@dataclass(frozen=True)
class StoredSession:
    id: int
    key: ApiKey
    csrf_token: str
    expires_at: datetime


def create_session(connection: Connection, *, token_hash: str, key_id: int, csrf_token: str, now: datetime,
                   expires_at: datetime) -> int:
    return connection.execute(
        insert(console_sessions).values(token_hash=token_hash, key_id=key_id, csrf_token=csrf_token,
                                        created_at=now, expires_at=expires_at).returning(console_sessions.c.id)
    ).scalar_one()


def find_session(connection: Connection, token_hash: str, now: datetime) -> StoredSession | None:
    """The live session with this token: not signed out, not expired, its key not revoked."""
    row = connection.execute(
        select(console_sessions.c.id.label("session_id"), console_sessions.c.csrf_token,
               console_sessions.c.expires_at, *KEY_COLUMNS)
        .join(api_keys, api_keys.c.id == console_sessions.c.key_id)
        .join(teams, teams.c.id == api_keys.c.team_id)
        .where(console_sessions.c.token_hash == token_hash, console_sessions.c.ended_at.is_(None),
               console_sessions.c.expires_at > now, api_keys.c.revoked_at.is_(None))
    ).first()
    if row is None:
        return None
    return StoredSession(row.session_id, key_of_row(row), row.csrf_token, row.expires_at)


def end_session(connection: Connection, session_id: int, now: datetime) -> None:
    connection.execute(update(console_sessions).where(console_sessions.c.id == session_id).values(ended_at=now))


def create_link(connection: Connection, *, token_hash: str, key_id: int, now: datetime, expires_at: datetime) -> None:
    connection.execute(insert(console_links).values(token_hash=token_hash, key_id=key_id, created_at=now,
                                                    expires_at=expires_at))


def redeem_link(connection: Connection, token_hash: str, now: datetime) -> int | None:
    """Use the link once: the key id it signs in, or None if it is unknown, used, expired or its key
    is revoked. The UPDATE is the claim, so two browsers racing for one link cannot both win."""
    key_id = connection.execute(
        update(console_links)
        .where(console_links.c.token_hash == token_hash, console_links.c.used_at.is_(None),
               console_links.c.expires_at > now)
        .values(used_at=now)
        .returning(console_links.c.key_id)
    ).scalar_one_or_none()
    if key_id is None:
        return None
    active = connection.execute(
        select(api_keys.c.id).where(api_keys.c.id == key_id, api_keys.c.revoked_at.is_(None))
    ).scalar_one_or_none()
    return active
