"""The least a metered GET and a fan's view can cost on massdm's own stack: the `*_floor` rows.

`create()` is massdm's app exactly as `massdm serve` builds it (uvicorn, every middleware, the
admission places and threads), plus two routes that do only what the contract obliges such a call
to do, written straight on the SQLite driver with one kept connection per thread: no SQLAlchemy,
no pydantic, no dependency but the path's parameters, no rate limiter, no webhooks.

- `GET /bench/floor/{account}`: the key and the account in one statement, the account's newest
  messages in a second, then the credit taken in a write transaction of its own (a GET's read
  never holds SQLite's write lock), the answer built with `json.dumps`.
- `POST /bench/floor-view/{fan_id}/{message_id}`: the key, the delivery's first view and the
  message's counter in one write transaction, the message read back, `json.dumps`.

Benchmarks only: this is not massdm code (it lives in bench/, and skips every check a real call
makes). It answers one question with a number measured in the same run: how close to the
constant route can a call that must read and write the database get at all? `api_overhead` and
`view_ingest` are then read against these ceilings.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import threading
from datetime import UTC, datetime

from fastapi import FastAPI, Request
from fastapi.responses import Response

from massdm.api.routing import index_routes
from massdm.app import app_from_environment

_local = threading.local()


def _connection() -> sqlite3.Connection:
    connection = getattr(_local, "connection", None)
    if connection is None:
        path = os.environ["MASSDM_DATABASE_URL"].removeprefix("sqlite:///")
        connection = _local.connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        connection.execute("PRAGMA busy_timeout=30000")
    return connection


def _digest(request: Request) -> str:
    return hashlib.sha256(request.headers["authorization"].removeprefix("Bearer ").encode()).hexdigest()


def metered_get(account: str, request: Request) -> Response:
    connection = _connection()
    connection.execute("BEGIN")
    team_id, balance = connection.execute(
        "SELECT k.team_id, t.credit_balance FROM api_keys k JOIN teams t ON t.id = k.team_id "
        "JOIN accounts a ON a.team_id = k.team_id AND a.id = ? WHERE k.key_hash = ? AND k.revoked_at IS NULL",
        (account, _digest(request))).fetchone()
    messages = connection.execute(
        "SELECT id, created_at, text, sent_count, finished_at, canceled_at FROM mass_messages WHERE account_id = ? "
        "ORDER BY id DESC LIMIT 10", (account,)).fetchall()
    connection.execute("COMMIT")
    connection.execute("BEGIN IMMEDIATE")
    balance = connection.execute(
        "UPDATE teams SET credit_balance = credit_balance - 1 WHERE id = ? RETURNING credit_balance",
        (team_id,)).fetchone()[0]
    connection.execute("COMMIT")
    data = [{"id": m[0], "date": m[1], "text": m[2], "isReady": True, "isDone": m[4] is not None, "total": m[3],
             "pending": 0, "canUnsend": m[5] is None, "isCanceled": m[5] is not None, "sentCount": m[3],
             "viewedCount": 0, "mediaTypes": None} for m in messages]
    body = {"data": data, "_meta": {"_credits": {"used": 1, "balance": balance, "note": "Always"},
                                    "_cache": {"is_cached": False}}}
    return Response(json.dumps(body).encode(), media_type="application/json")


def view(fan_id: int, message_id: int, request: Request) -> Response:
    connection = _connection()
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    connection.execute("BEGIN IMMEDIATE")
    (balance,) = connection.execute(
        "SELECT t.credit_balance FROM api_keys k JOIN teams t ON t.id = k.team_id WHERE k.key_hash = ? "
        "AND k.revoked_at IS NULL", (_digest(request),)).fetchone()
    delivered_at, viewed_at, account_id = connection.execute(
        "UPDATE deliveries SET viewed_at = COALESCE(viewed_at, ?) WHERE message_id = ? AND fan_id = ? "
        "RETURNING delivered_at, viewed_at, account_id", (now, message_id, fan_id)).fetchone()
    connection.execute("UPDATE mass_messages SET viewed_count = viewed_count + 1 WHERE id = ?", (message_id,))
    text, price_cents = connection.execute("SELECT text, price_cents FROM mass_messages WHERE id = ?",
                                           (message_id,)).fetchone()
    connection.execute("COMMIT")
    data = {"id": message_id, "accountId": account_id, "date": delivered_at, "text": text, "lockedText": False,
            "isFree": price_cents == 0, "price": None, "isPurchased": False, "isViewed": viewed_at is not None,
            "canPurchase": False, "isCanceled": False, "mediaCount": 0, "media": [], "previews": []}
    body = {"data": data, "_meta": {"_credits": {"used": 0, "balance": balance, "note": "Free endpoint"}}}
    return Response(json.dumps(body).encode(), media_type="application/json")


def create() -> FastAPI:
    app = app_from_environment()
    app.add_api_route("/bench/floor/{account}", metered_get, methods=["GET"], include_in_schema=False)
    app.add_api_route("/bench/floor-view/{fan_id}/{message_id}", view, methods=["POST"], include_in_schema=False)
    index_routes(app)  # as create_app does once its routes are in
    return app
