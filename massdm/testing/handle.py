"""The sandbox handle a test gets: where the server is, a key and an account, the official SDK pointed at
it, and the sandbox's controls (docs/sandbox.md) as methods, over HTTP as any integrator calls them.

Controls answer the control API's JSON bodies, parsed (the docs of each control describe them);
a refused call raises `SandboxError` with the status and the body. `reset()` puts the team back to
where every test starts: no data, no faults, no snapshots, the clock at the wall clock and running,
and one webhook, the inbox's, on a path no earlier test used.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import httpx

from massdm.testing.inbox import WebhookInbox
from massdm.testing.server import SandboxServer
from massdm.webhooks.receiver import Received

if TYPE_CHECKING:
    from onlyfansapi import AsyncOnlyFansAPI, OnlyFansAPI

JSON = dict[str, Any]


class SandboxError(Exception):
    """A control call was refused: `status` and the contract's error `body`."""

    def __init__(self, method: str, path: str, status: int, body: object) -> None:
        self.status = status
        self.body = body
        super().__init__(f"{method} {path} answered {status}: {body}")


@dataclass(frozen=True)
class Webhook:
    """The inbox's webhook, registered anew by every reset."""

    id: str
    url: str
    secret: str


class Sandbox:
    """A running sandbox, its credentials and its controls (the `massdm` fixture; `massdm.testing.sandbox()`)."""

    def __init__(self, server: SandboxServer) -> None:
        if server.credentials is None:
            raise RuntimeError("start the server first")
        self.server = server
        self.base_url = server.base_url
        self.api_key = server.credentials.api_key
        self.account = server.credentials.account
        # Control calls and the raw API, with the key: for what the SDK does not cover.
        self.http = httpx.Client(base_url=self.base_url, headers={"Authorization": f"Bearer {self.api_key}"},
                                 timeout=httpx.Timeout(300.0, connect=5.0))
        self._inbox = WebhookInbox()
        self._events: list[str] | None = None
        self._client: OnlyFansAPI | None = None
        self._async_client: AsyncOnlyFansAPI | None = None
        self._webhook: Webhook | None = None
        self._snapshots: list[str] = []  # saved through this handle since the last reset
        self.log_offset = server.log_offset()

    # --- the official SDK ---------------------------------------------------------------------------

    @property
    def client(self) -> OnlyFansAPI:
        """`onlyfansapi.OnlyFansAPI` with the key, pointed at the server (the SDK's default retries)."""
        if self._client is None:
            from onlyfansapi import OnlyFansAPI

            self._client = OnlyFansAPI(api_key=self.api_key, base_url=self.base_url)
        return self._client

    @property
    def async_client(self) -> AsyncOnlyFansAPI:
        """`onlyfansapi.AsyncOnlyFansAPI`, made anew for each test (its connections belong to one event loop)."""
        if self._async_client is None:
            from onlyfansapi import AsyncOnlyFansAPI

            self._async_client = AsyncOnlyFansAPI(api_key=self.api_key, base_url=self.base_url)
        return self._async_client

    # --- reset --------------------------------------------------------------------------------------

    def reset(self) -> None:
        """Back to a clean team: `POST /sandbox/v1/reset` (data, webhooks, faults, engagement settings; the
        clock back to the wall clock, running), the snapshots `snapshot()` saved deleted, and the inbox's
        webhook registered anew, on a path of its own."""
        self.log_offset = self.server.log_offset()
        self._call("POST", "/sandbox/v1/reset")
        while self._snapshots:  # a reset keeps snapshots (they are what undoes one): these were the test's
            self._call("DELETE", f"/sandbox/v1/snapshots/{self._snapshots.pop()}", expect=(200, 404))
        url = self._inbox.renew()
        created = self._call("POST", "/api/webhooks", json={
            "endpoint_url": url, "events": self._subscribable(), "account_scope": "global",
            "signing_secret": self._inbox.secret,
        }, expect=201)["data"]
        self._webhook = Webhook(str(created["id"]), url, self._inbox.secret)
        self._async_client = None

    def _subscribable(self) -> list[str]:
        if self._events is None:
            self._events = [e["value"] for e in self._call("GET", "/api/webhooks/events")["data"]]
        return self._events

    # --- the clock ---------------------------------------------------------------------------------

    def clock(self) -> JSON:
        """`{"now": iso, "frozen": bool}`."""
        return self._call("GET", "/sandbox/v1/clock")

    def freeze(self) -> JSON:
        """Stop the clock where it is."""
        return self._call("POST", "/sandbox/v1/clock", json={"frozen": True})

    def unfreeze(self) -> JSON:
        """Let the clock run on from where it shows."""
        return self._call("POST", "/sandbox/v1/clock", json={"frozen": False})

    def now(self) -> datetime:
        """The sandbox's time."""
        return datetime.fromisoformat(self.clock()["now"])

    def advance(self, *, days: float = 0, hours: float = 0, minutes: float = 0, seconds: float = 0,
                to: datetime | str | None = None) -> JSON:
        """Move the clock forward by the sum given, or `to` a moment, running everything due on the way;
        returns `{"now", "frozen", "ran": {"sent", "delivered", "views", "purchases", "events"}}`."""
        total = days * 86400 + hours * 3600 + minutes * 60 + seconds
        if to is not None:
            if total:
                raise ValueError("advance by a duration or to a moment, not both")
            return self._call("POST", "/sandbox/v1/clock/advance",
                              json={"to": to.isoformat() if isinstance(to, datetime) else to})
        if total <= 0:
            raise ValueError("advance by a positive duration (days=, hours=, minutes=, seconds=) or to=")
        return self._call("POST", "/sandbox/v1/clock/advance", json={"seconds": total})

    # --- audiences and simulated fans --------------------------------------------------------------

    def seed(self, fans: int = 1000, *, seed: int | None = None, account: str | None = None,
             magic_fans: bool = False, profile: Mapping[str, Any] | None = None) -> JSON:
        """Seed `fans` fans (and, with `magic_fans`, 3 of each magic kind) into the handle's account."""
        body: JSON = {"account": account or self.account, "fans": fans, "magicFans": magic_fans}
        if seed is not None:
            body["seed"] = seed
        if profile is not None:
            body["profile"] = dict(profile)
        return self._call("POST", "/sandbox/v1/seed", json=body)

    def engagement(self, *, account: str | None = None, enabled: bool = True, seed: int | None = None,
                   view_rate: float | None = None, purchase_rate: float | None = None,
                   view_delay: tuple[float, float] | None = None,
                   purchase_delay: tuple[float, float] | None = None) -> JSON:
        """Turn simulated fans on (or off) for the account; what is left out takes the sandbox's default.
        Delays are (min hours, max hours)."""
        body: JSON = {"enabled": enabled}
        for name, value in (("seed", seed), ("viewRate", view_rate), ("purchaseRate", purchase_rate)):
            if value is not None:
                body[name] = value
        for name, delay in (("viewDelay", view_delay), ("purchaseDelay", purchase_delay)):
            if delay is not None:
                body[name] = {"minHours": delay[0], "maxHours": delay[1]}
        return self._call("PUT", f"/sandbox/v1/accounts/{account or self.account}/engagement", json=body)

    # --- faults and events -------------------------------------------------------------------------

    def fault(self, path: str | None = None, *, method: str | None = None, status: int | None = None,
              times: int | None = None, probability: float | None = None, seed: int | None = None,
              latency_ms: int | None = None, retry_after: float | None = None, webhook: str | None = None,
              mode: str | None = None) -> JSON:
        """Fail matching calls on purpose (`path` a template such as `/api/{account}/mass-messaging`), or
        deliveries to a `webhook` (`mode` "timeout" or "status"); returns the fault with its id."""
        fields = {"path": path, "method": method, "status": status, "times": times, "probability": probability,
                  "seed": seed, "latencyMs": latency_ms, "retryAfter": retry_after, "webhook": webhook,
                  "mode": mode}
        return self._call("POST", "/sandbox/v1/faults", json={k: v for k, v in fields.items() if v is not None})

    def faults(self) -> list[JSON]:
        """The team's faults, oldest first, with `calls`, `hits` and `remaining`."""
        found: list[JSON] = self._call("GET", "/sandbox/v1/faults")["faults"]
        return found

    def clear_faults(self) -> int:
        deleted: int = self._call("DELETE", "/sandbox/v1/faults")["deleted"]
        return deleted

    def trigger(self, event: str, *, account: str | None = None, overrides: Mapping[str, Any] | None = None) -> JSON:
        """Send one webhook event of the account to the team's webhooks (the inbox's among them)."""
        return self._call("POST", "/sandbox/v1/events", json={
            "event": event, "account": account or self.account, "overrides": dict(overrides or {})})

    # --- what happened ---------------------------------------------------------------------------

    def recipients(self, message_id: int | str, *, status: str | None = None, limit: int | None = None,
                   offset: int = 0) -> JSON:
        """The message's per-fan ledger. With `limit`, that one page as the API answers it; without, every
        page read and the fans of all of them in `recipients`."""
        params: dict[str, str | int] = {"offset": offset, "limit": limit or 1000}
        if status is not None:
            params["status"] = status
        path = f"/sandbox/v1/messages/{message_id}/recipients"
        page = self._call("GET", path, params=params)
        if limit is not None:
            return page
        rows = list(page["recipients"])
        while page["nextOffset"] is not None:
            page = self._call("GET", path, params={**params, "offset": page["nextOffset"]})
            rows.extend(page["recipients"])
        return {**page, "offset": offset, "limit": None, "recipients": rows}

    @property
    def webhook(self) -> Webhook:
        """The inbox's webhook of this test (`fault(webhook=massdm.webhook.id, mode="timeout")`)."""
        if self._webhook is None:
            raise RuntimeError("reset() registers the inbox's webhook: call it first")
        return self._webhook

    def webhook_inbox(self, count: int | None = None, *, event: str | None = None,
                      timeout: float = 10.0) -> list[Received]:
        """The signed webhook deliveries the inbox received since the reset (of `event`, if given), each
        with its event, payload, idempotency key, attempt, headers and raw body; with `count`, waits
        until that many arrived. A bad signature fails (AssertionError)."""
        return self._inbox.events(count, event=event, timeout=timeout)

    # --- snapshots ---------------------------------------------------------------------------------

    def snapshot(self, name: str) -> JSON:
        """Save the team's whole state (and the clock's setting) under `name`, until the next reset deletes it."""
        saved: JSON = self._call("POST", "/sandbox/v1/snapshots", json={"name": name}, expect=201)
        self._snapshots.append(name)
        return saved

    def restore(self, name: str) -> JSON:
        return self._call("POST", f"/sandbox/v1/snapshots/{name}/restore")

    # --- the server's log ----------------------------------------------------------------------------

    def server_log(self) -> str:
        """What the server logged since the last reset (for a test's own assertions or prints)."""
        return self.server.log_since(self.log_offset)

    # -------------------------------------------------------------------------------------------------

    def _call(self, method: str, path: str, *, json: object = None, params: Mapping[str, Any] | None = None,
              expect: int | tuple[int, ...] = 200) -> JSON:
        response = self.http.request(method, path, json=json, params=params)
        if response.status_code not in ((expect,) if isinstance(expect, int) else expect):
            try:
                body: object = response.json()
            except ValueError:
                body = response.text
            raise SandboxError(method, path, response.status_code, body)
        answer: JSON = response.json()
        return answer

    def close(self) -> None:
        self._inbox.close()
        self.http.close()
        if self._client is not None:
            self._client.close()
