"""The webhook inbox of a sandbox handle: massdm's own receiver (the one `massdm webhooks listen` runs)
on loopback, checking every delivery's signature.

One receiver serves the whole session; each test (each reset) gets a path of its own, and only
deliveries to the current path are kept, so an event still in flight from an earlier test never
lands in a later one's inbox.
"""

from __future__ import annotations

import secrets
import threading
import time

from massdm.webhooks.receiver import Received, WebhookReceiver


class WebhookInbox:
    def __init__(self) -> None:
        self.secret = secrets.token_hex(24)
        self._received: list[Received] = []
        self._changed = threading.Condition()
        self._generation = 0
        self._receiver = WebhookReceiver("127.0.0.1", 0, secret=self.secret, on_delivery=self._keep)
        self._thread = threading.Thread(target=self._receiver.serve_forever, name="massdm-webhook-inbox",
                                        daemon=True)
        self._thread.start()

    @property
    def path(self) -> str:
        return f"/hooks/{self._generation}"

    @property
    def url(self) -> str:
        return f"{self._receiver.url}{self.path}"

    def renew(self) -> str:
        """Forget what arrived and listen on a new path; returns its URL."""
        with self._changed:
            self._generation += 1
            self._received = []
        return self.url

    def _keep(self, received: Received) -> None:
        with self._changed:
            if received.path == self.path:
                self._received.append(received)
                self._changed.notify_all()

    def events(self, count: int | None = None, *, event: str | None = None, timeout: float = 10.0) -> list[Received]:
        """What arrived so far (of `event`, if given), in arrival order; with `count`, waits until that many
        have. Raises AssertionError on a delivery whose signature did not check out, and on a timeout."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                bad = [r for r in self._received if r.signature != "valid"]
                if bad:
                    raise AssertionError(f"webhook deliveries with a bad signature ({bad[0].signature}): "
                                         f"{[r.event for r in bad]}")
                found = [r for r in self._received if event is None or r.event == event]
                if count is None or len(found) >= count:
                    return found
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"the webhook inbox got {len(found)} of the {count} "
                                         f"{event or 'event'}(s) awaited within {timeout} s; it got "
                                         f"{[r.event for r in self._received]}")
                self._changed.wait(left)

    def close(self) -> None:
        self._receiver.shutdown()
