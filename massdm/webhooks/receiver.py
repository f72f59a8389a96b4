"""A local webhook receiver (`massdm webhooks listen`): checks each delivery's signature and reports it.

For trying webhooks out against the sandbox, and for scripts: with a signing secret, a
delivery whose `Signature` does not match the exact bytes received is answered 401, as a
real receiver should; `fail_first` answers 503 to the first N deliveries, to watch retries.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable

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

    def as_json(self) -> dict[str, Any]:
        return self.__dict__.copy()


class WebhookReceiver:
    def __init__(self, host: str, port: int, *, secret: str | None = None, fail_first: int = 0,
                 on_delivery: Callable[[Received], None] = lambda received: None) -> None:
        self.secret = secret
        self.on_delivery = on_delivery
        self._failures_left = fail_first
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self._answer(200, {"ok": True, "receiver": "massdm webhooks listen"})

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if length > MAX_BODY:
                    self._answer(413, {"ok": False})
                    return
                raw = self.rfile.read(length)
                status, received = receiver._judge(raw, self.headers)
                receiver.on_delivery(received)  # reported before the sender hears back
                self._answer(status, {"ok": status == 200})

            def _answer(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *_args: object) -> None:  # deliveries are reported by on_delivery
                pass

        self.server = ThreadingHTTPServer((host, port), Handler)
        self.server.daemon_threads = True

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def _judge(self, raw: bytes, headers) -> tuple[int, Received]:  # noqa: ANN001 - http.client headers
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
            failing = self._failures_left > 0
            self._failures_left -= 1 if failing else 0
        status = 503 if failing else (401 if signature in ("invalid", "unsigned") else 200)
        return status, Received(
            event=body.get("event"), account_id=body.get("account_id"), payload=body.get("payload"),
            idempotency_key=headers.get("X-OFAPI-Idempotency-Key"), attempt=headers.get("X-Massdm-Attempt"),
            redelivery_of=headers.get("X-OFAPI-Redelivery-Of"), signature=signature, status=status,
        )

    def serve_forever(self) -> None:
        self.server.serve_forever(poll_interval=0.2)

    def shutdown(self) -> None:
        self.server.shutdown()
        self.server.server_close()
