"""One HTTP attempt at a webhook delivery: checked address, 5 s to connect, 10 s in all, no redirects.

Only a 2xx answer within the time counts as delivered. The answer's body is read only so far
(`max_response_bytes`), to quote it in the log, and so are its headers (`MAX_HEADERS`, each value
cut at `MAX_HEADER_VALUE`); redirects are not followed (a webhook URL must answer itself, and a
redirect could point anywhere). The duration is measured on the monotonic wall clock: it is how
long the endpoint took, whatever time a sandbox's driven clock tells.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, replace

import httpx

from massdm import __version__
from massdm.outbound import AddressRefused, new_client, send_pinned

USER_AGENT = f"massdm-webhooks/{__version__}"
MAX_HEADERS = 50
MAX_HEADER_VALUE = 1000


@dataclass(frozen=True)
class Outcome:
    succeeded: bool
    status_code: int | None = None
    error_type: str | None = None  # http_status | redirect | timeout | connection | address_refused
    error_message: str | None = None
    duration_ms: int | None = None  # from the start of the attempt to its answer or failure
    response_headers: dict[str, str] | None = None  # None when no answer came


@dataclass(frozen=True)
class SenderConfig:
    allow_private: bool = False
    connect_timeout: float = 5.0
    total_timeout: float = 10.0
    max_response_bytes: int = 64 * 1024


class WebhookSender:
    def __init__(self, config: SenderConfig) -> None:
        self.config = config
        self._client = new_client(
            timeout=httpx.Timeout(config.total_timeout, connect=config.connect_timeout),
            headers={"User-Agent": USER_AGENT},
        )

    async def aclose(self) -> None:
        await self._client.aclose()

    async def send(self, url: str, raw: bytes, headers: dict[str, str]) -> Outcome:
        started = time.monotonic()
        outcome = await self._attempt(url, raw, headers)
        return replace(outcome, duration_ms=round((time.monotonic() - started) * 1000))

    async def _attempt(self, url: str, raw: bytes, headers: dict[str, str]) -> Outcome:
        try:
            async with asyncio.timeout(self.config.total_timeout):
                return await self._post(url, raw, headers)
        except TimeoutError:
            return Outcome(False, error_type="timeout",
                           error_message=f"No complete answer within {self.config.total_timeout:g} s.")
        except AddressRefused as refused:
            return Outcome(False, error_type="address_refused", error_message=f"The endpoint URL {refused}.")
        except httpx.TimeoutException:
            return Outcome(False, error_type="timeout", error_message="The endpoint did not answer in time.")
        except httpx.HTTPError as error:
            return Outcome(False, error_type="connection", error_message=f"{error.__class__.__name__}: {error}"[:500])

    async def _post(self, url: str, raw: bytes, headers: dict[str, str]) -> Outcome:
        response = await send_pinned(self._client, "POST", url, allow_private=self.config.allow_private,
                                     headers=headers, content=raw)
        try:
            head = await self._read_some(response)
        finally:
            await response.aclose()
        status = response.status_code
        answered = {name: value[:MAX_HEADER_VALUE] for name, value in list(response.headers.items())[:MAX_HEADERS]}
        if 200 <= status < 300:
            return Outcome(True, status, response_headers=answered)
        if response.is_redirect:
            where = response.headers.get("location", "")[:200]
            return Outcome(False, status, "redirect",
                           f"HTTP {status} redirect to {where!r}; webhook deliveries do not follow redirects.",
                           response_headers=answered)
        text = head.decode("utf-8", "replace").strip()[:300]
        return Outcome(False, status, "http_status", f"HTTP {status}" + (f": {text}" if text else ""),
                       response_headers=answered)

    async def _read_some(self, response: httpx.Response) -> bytes:
        kept = b""
        async for chunk in response.aiter_raw():
            kept += chunk
            if len(kept) >= self.config.max_response_bytes:
                break
        return kept[: self.config.max_response_bytes]
