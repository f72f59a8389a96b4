"""Which addresses massdm may call out to: `file_url` downloads and webhook deliveries.

A URL someone else typed must not turn massdm into a way into its own network: unless the
deployment allows it, every address a host resolves to must be public (not private,
loopback, link-local, multicast or reserved). Callers connect to the address that was
checked (`Target.address`), so a host that resolves differently a moment later
(DNS rebinding) reaches nothing new.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit


class AddressRefused(ValueError):
    """The URL may not be called; the message says why, in words fit for the client."""


@dataclass(frozen=True)
class Target:
    host: str
    port: int
    address: str  # the checked IP address to connect to


def _parts(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise AddressRefused("must be an absolute http(s) URL")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise AddressRefused("has an invalid port") from None
    return parts.hostname, port


def _checked(host: str, port: int, infos: list, allow_private: bool) -> Target:  # noqa: ANN001 - getaddrinfo rows
    addresses = [info[4][0].split("%")[0] for info in infos]
    if not addresses:
        raise AddressRefused(f"host {host!r} does not resolve")
    if not allow_private:
        for text in addresses:
            address = ipaddress.ip_address(text)
            if not address.is_global or address.is_multicast:
                raise AddressRefused(f"points at a non-public address ({address})")
    return Target(host, port, addresses[0])


def check_url(url: str, *, allow_private: bool) -> Target:
    """Resolve the URL's host and check every address it has (blocking: call from a thread)."""
    host, port = _parts(url)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise AddressRefused(f"host {host!r} does not resolve") from None
    return _checked(host, port, infos, allow_private)


async def check_url_async(url: str, *, allow_private: bool) -> Target:
    """`check_url` without blocking the event loop."""
    host, port = _parts(url)
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise AddressRefused(f"host {host!r} does not resolve") from None
    return _checked(host, port, infos, allow_private)


def check_syntax(url: str) -> None:
    """Only the shape: an absolute http(s) URL with a host (for settings stored before any call)."""
    _parts(url)


def pinned_request(url: str, target: Target) -> tuple[str, dict[str, str], dict[str, str]]:
    """(url, headers, httpx extensions) that reach `target.address` while naming the host as usual
    (Host header; for https, SNI and certificate checks against the host name)."""
    parts = urlsplit(url)
    address = f"[{target.address}]" if ":" in target.address else target.address
    netloc = f"{address}:{target.port}"
    headers = {"Host": parts.netloc.rpartition("@")[2]}
    extensions = {"sni_hostname": target.host} if parts.scheme == "https" else {}
    return parts._replace(netloc=netloc).geturl(), headers, extensions
