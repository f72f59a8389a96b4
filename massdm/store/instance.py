"""This database's own identity: the random secret its first migration wrote (event keys derive from it)."""

from __future__ import annotations

import weakref

from sqlalchemy import Connection, Engine, select

from massdm.store.tables import instance

_SECRETS: weakref.WeakKeyDictionary[Engine, str] = weakref.WeakKeyDictionary()


def instance_secret(connection: Connection) -> str:
    """This database's random identity (read once per process and engine)."""
    secret = _SECRETS.get(connection.engine)
    if secret is None:
        secret = connection.execute(select(instance.c.secret).where(instance.c.id == 1)).scalar_one()
        _SECRETS[connection.engine] = secret
    return secret
