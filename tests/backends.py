"""Which database and Redis the suite runs on, and a fresh, isolated one for each test.

By default every test gets its own SQLite file and no Redis (the embedded default).
With `MASSDM_TEST_DATABASE=postgresql://…` each test instead gets its own PostgreSQL
schema (dropped at the end of the run), and with `MASSDM_TEST_REDIS=redis://…` its own
Redis key prefix. `make test-scale` runs the whole suite that way.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import create_engine, text

from massdm.store.db import normalise_url

TEST_DATABASE = os.environ.get("MASSDM_TEST_DATABASE") or None
TEST_REDIS = os.environ.get("MASSDM_TEST_REDIS") or None
ON_POSTGRES = bool(TEST_DATABASE)

_RUN = uuid.uuid4().hex[:8]
_created: list[str] = []
_urls: dict[tuple[str, str], str] = {}


def database_url(directory: Path, name: str = "massdm") -> str:
    """The database named `name` of a test's directory: a SQLite file, or a PostgreSQL schema.

    The same directory and name give the same database, so a test's processes can share it.
    """
    if not TEST_DATABASE:
        return f"sqlite:///{directory / f'{name}.db'}"
    known = _urls.get((str(directory), name))
    if known:
        return known
    schema = f"t_{_RUN}_{len(_created)}_{uuid.uuid4().hex[:6]}"
    engine = create_engine(normalise_url(TEST_DATABASE))
    try:
        with engine.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    finally:
        engine.dispose()
    _created.append(schema)
    separator = "&" if "?" in TEST_DATABASE else "?"
    url = f"{TEST_DATABASE}{separator}options={quote(f'-csearch_path={schema}')}"
    _urls[(str(directory), name)] = url
    return url


def redis_settings() -> dict[str, str]:
    """`Settings` fields for Redis: none on the embedded default, else the URL and a prefix of this test's own."""
    if not TEST_REDIS:
        return {}
    return {"redis_url": TEST_REDIS, "redis_prefix": f"massdm-test-{_RUN}-{uuid.uuid4().hex[:8]}"}


def redis_env() -> dict[str, str]:
    return {f"MASSDM_{k.upper()}": v for k, v in redis_settings().items()}


def drop_created() -> None:
    """Drop every schema this run created (and the Redis keys under its prefixes)."""
    if TEST_DATABASE and _created:
        engine = create_engine(normalise_url(TEST_DATABASE))
        try:
            for schema in _created:
                with engine.begin() as connection:
                    connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        finally:
            engine.dispose()
        _created.clear()
        _urls.clear()
    if TEST_REDIS:
        import redis

        client = redis.Redis.from_url(TEST_REDIS)
        for key in client.scan_iter(f"massdm-test-{_RUN}-*", count=1000):
            client.delete(key)
        client.close()
