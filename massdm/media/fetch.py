"""Download a `file_url` to a local path, streaming, with a size cap, an address policy and a deadline.

Every hop (the URL and each redirect) is checked and then reached at the checked address
(`outbound.send_pinned`). The timeout is one deadline for the whole download, redirects,
connects, headers and body together: a per-read timeout would let a server that sends a
byte now and then hold an upload open for as long as it likes.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from urllib.parse import urljoin

import httpx

from massdm.outbound import AddressRefused, Resolver, new_client, resolve_system, send_pinned

MAX_REDIRECTS = 5


class FetchRefused(ValueError):
    """The URL may not or could not be fetched; the message says why, for the client."""


class FetchTooLarge(ValueError):
    pass


async def fetch_to(
    url: str, target: Path, *, max_bytes: int, allow_private: bool, timeout: float,
    resolve: Resolver = resolve_system,
) -> int:
    """Stream `url` into `target`; returns the byte count. The caller removes `target` on failure."""
    try:
        async with asyncio.timeout(timeout):
            return await _download(url, target, max_bytes, allow_private, resolve)
    except TimeoutError:
        unit = "second" if timeout == 1 else "seconds"
        raise FetchRefused(f"file_url did not finish downloading within {timeout:g} {unit}.") from None
    except AddressRefused as refused:
        raise FetchRefused(f"file_url {refused}; it is refused.") from None
    except httpx.HTTPError as error:
        raise FetchRefused(f"file_url could not be downloaded: {error.__class__.__name__}.") from None


async def _download(url: str, target: Path, max_bytes: int, allow_private: bool, resolve: Resolver) -> int:
    async with new_client(timeout=None) as client:  # the deadline in fetch_to bounds every step
        for _hop in range(MAX_REDIRECTS + 1):
            response = await send_pinned(client, "GET", url, allow_private=allow_private, resolve=resolve)
            try:
                if response.is_redirect and "location" in response.headers:
                    url = urljoin(url, response.headers["location"])
                    continue
                return await _save(response, target, max_bytes)
            finally:
                await response.aclose()
    raise FetchRefused("file_url redirects too many times.")


async def _save(response: httpx.Response, target: Path, max_bytes: int) -> int:
    if response.status_code != 200:
        raise FetchRefused(f"file_url answered HTTP {response.status_code}.")
    declared = response.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > max_bytes:
        raise FetchTooLarge()
    size = 0
    with target.open("wb") as out:
        async for chunk in response.aiter_bytes(1 << 16):
            size += len(chunk)
            if size > max_bytes:
                raise FetchTooLarge()
            out.write(chunk)
    return size
