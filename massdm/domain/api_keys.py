"""API key and account id formats: how they are made and how a key is recognised."""

from __future__ import annotations

import hashlib
import secrets

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
    return ACCOUNT_PREFIX + secrets.token_hex(16)
