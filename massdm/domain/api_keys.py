"""API key and account id formats: how they are made and how a key is recognised."""

from __future__ import annotations

import hashlib
import secrets

from massdm.domain.ids import is_random_id, new_random_id

KEY_PREFIX = "massdm_"
ACCOUNT_PREFIX = "acct_"


def new_api_key() -> str:
    """A fresh secret key: `massdm_` + 43 url-safe characters (256 bits)."""
    return KEY_PREFIX + secrets.token_urlsafe(32)


def hash_api_key(key: str) -> str:
    """What the store keeps instead of the key. Keys are random, so a plain SHA-256 suffices."""
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def key_hint(key: str) -> str:
    return key[: len(KEY_PREFIX) + 6]


def new_account_id() -> str:
    return new_random_id(ACCOUNT_PREFIX)


def is_account_id(text: str) -> bool:
    """Whether `text` can name an account at all (`acct_` + 32 lowercase hex, as `new_account_id` makes).

    Anything else is simply not found, without asking the database: a NUL byte, say, would be
    an error on PostgreSQL but merely no match on SQLite.
    """
    return is_random_id(text, ACCOUNT_PREFIX)
