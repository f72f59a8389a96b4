"""Download a `file_url` to a local path, streaming, with a size cap and an address policy.

Private, loopback, link-local and otherwise non-public addresses are refused unless the
server is configured to allow them; every redirect hop is checked the same way.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urljoin, urlsplit

import httpx

from massdm.outbound import AddressRefused, check_url_async

MAX_REDIRECTS = 5


class FetchRefused(ValueError):
    """The URL may not or could not be fetched; the message says why, for the client."""


class FetchTooLarge(ValueError):
    pass


async def _check_address(url: str, allow_private: bool) -> None:
    try:
        await check_url_async(url, allow_private=allow_private)
    except AddressRefused as refused:
        raise FetchRefused(f"file_url {refused}; it is refused.") from None


async def fetch_to(url: str, target: Path, *, max_bytes: int, allow_private: bool, timeout: float) -> int:
    """Stream `url` into `target`; returns the byte count. The caller removes `target` on failure."""
    async with httpx.AsyncClient(follow_redirects=False, timeout=httpx.Timeout(timeout)) as client:
        for _hop in range(MAX_REDIRECTS + 1):
            await _check_address(url, allow_private)
            try:
                async with client.stream("GET", url) as response:
                    if response.is_redirect and "location" in response.headers:
                        url = urljoin(url, response.headers["location"])
                        continue
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
            except httpx.HTTPError as error:
                raise FetchRefused(f"file_url could not be downloaded: {error.__class__.__name__}.") from None
        raise FetchRefused("file_url redirects too many times.")
