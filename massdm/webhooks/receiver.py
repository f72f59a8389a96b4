"""A local webhook receiver (`massdm webhooks listen`): checks each delivery's signature and reports it.

For trying webhooks out against the sandbox, for scripts and for massdm's own tests: with a
signing secret, a delivery whose `Signature` does not match the exact bytes received is answered
401, as a real receiver should; `fail_first` answers 503 to the first N deliveries, to watch
retries; `answer` chooses every reply (status, headers, a delay) for scripted receivers.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from massdm.domain import json_body
from massdm.domain.webhooks import verify
from massdm.errors import ValidationFailed

MAX_BODY = 10 << 20


@dataclass(frozen=True)
class Received:
    event: str | None
    account_id: str | None
    payload: Any
    idempotency_key: str | None
    attempt: str | None
    redelivery_of: str | None
    signature: str  # valid | invalid | unsigned | unchecked (no secret given)
    status: int  # what the receiver answered
    path: str = "/"
    headers: dict[str, str] = field(default_factory=dict)  # as sent, names lower-cased
    raw: bytes = b""  # the exact body, the bytes a signature covers

    def as_json(self) -> dict[str, Any]:
        """What `listen --json` prints for a delivery (the verdict, not the raw bytes and headers)."""
        return {"event": self.event, "account_id": self.account_id, "payload": self.payload,
                "idempotency_key": self.idempotency_key, "attempt": self.attempt,
                "redelivery_of": self.redelivery_of, "signature": self.signature, "status": self.status}


@dataclass(frozen=True)
class Reply:
    """How to answer one delivery."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds to wait before answering (a slow receiver)
    hold: threading.Event | None = None  # answer only once this is set (at most a minute)


class WebhookReceiver:
    def __init__(self, host: str, port: int, *, secret: str | None = None, fail_first: int = 0,
                 on_delivery: Callable[[Received], None] = lambda received: None,
                 answer: Callable[[int, Received], Reply] | None = None) -> None:
        """`answer(n, received)`, if given, replies to the n-th delivery (from 1); `received.status` is then
        the verdict it may follow or override."""
        self.secret = secret
        self.on_delivery = on_delivery
        self.answer = answer
        self._failures_left = fail_first
        self._count = 0
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as senders expect of a real endpoint

            def do_GET(self) -> None:
                self._answer(Reply(200), {"ok": True, "receiver": "massdm webhooks listen"})

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if length > MAX_BODY:
                    self.close_connection = True  # the unread body must not be taken for the next request
                    self._answer(Reply(413), {"ok": False})
                    return
                raw = self.rfile.read(length)
                reply, received = receiver._judge(self.path, raw, self.headers)
                receiver.on_delivery(received)  # reported before the sender hears back
                if reply.hold is not None:
                    reply.hold.wait(60)
                if reply.delay:
                    time.sleep(reply.delay)
                self._answer(reply, {"ok": reply.status == 200})

            def _answer(self, reply: Reply, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                try:
                    self.send_response(reply.status)
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:  # the sender gave up waiting (its timeout) or went away
                    self.close_connection = True

            def log_message(self, *_args: object) -> None:  # deliveries are reported by on_delivery
                pass

        self.server = ThreadingHTTPServer((host, port), Handler)
        self.server.daemon_threads = True

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host.decode() if isinstance(host, bytes) else host}:{port}"

    def _judge(self, path: str, raw: bytes, headers) -> tuple[Reply, Received]:  # noqa: ANN001 - http.client headers
        received_signature = headers.get("Signature")
        if self.secret is None:
            signature = "unchecked"
        elif received_signature is None:
            signature = "unsigned"
        else:
            signature = "valid" if verify(self.secret, raw, received_signature) else "invalid"
        try:
            body = json_body.decode(raw)
        except (ValueError, ValidationFailed):  # not JSON, or nested too deeply: no event to report
            body = {}
        body = body if isinstance(body, dict) else {}
        with self._lock:
            self._count += 1
            failing = self._failures_left > 0
            self._failures_left -= 1 if failing else 0
            verdict = 503 if failing else (401 if signature in ("invalid", "unsigned") else 200)
            received = Received(
                event=body.get("event"), account_id=body.get("account_id"), payload=body.get("payload"),
                idempotency_key=headers.get("X-OFAPI-Idempotency-Key"), attempt=headers.get("X-Massdm-Attempt"),
                redelivery_of=headers.get("X-OFAPI-Redelivery-Of"), signature=signature, status=verdict, path=path,
                headers={name.lower(): value for name, value in headers.items()}, raw=raw,
            )
            reply = self.answer(self._count, received) if self.answer is not None else Reply(verdict)
        return reply, replace(received, status=reply.status)

    def serve_forever(self) -> None:
        self.server.serve_forever(poll_interval=0.2)

    def shutdown(self) -> None:
        self.server.shutdown()
        self.server.server_close()
