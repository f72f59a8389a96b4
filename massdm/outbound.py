"""Which addresses massdm may call out to, and how it calls them: `file_url` downloads and webhook deliveries.

A URL someone else typed must not turn massdm into a way into its own network: unless the
deployment allows it, every address a host resolves to must be public (not private,
loopback, link-local, multicast or reserved), and so must any IPv4 address an IPv6 address
carries (IPv4-mapped, IPv4-compatible, NAT64, 6to4, Teredo), since a translator or tunnel
would deliver there. `send_pinned` then connects to the address that was checked, so a host
that resolves differently a moment later (DNS rebinding) reaches nothing new.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv6Address
from typing import Any
from urllib.parse import urlsplit

import httpx

Resolver = Callable[[str, int], Awaitable[list[str]]]
"""(host, port) -> every address the host has; raises socket.gaierror when it has none."""

# IPv6 ranges whose last 32 bits are an IPv4 address: IPv4-compatible (::/96, deprecated but still
# routed by some stacks), IPv4-translated (::ffff:0:0:0/96, RFC 2765) and the NAT64 well-known prefix.
_LOW_32_IS_IPV4 = tuple(ipaddress.ip_network(n) for n in ("::/96", "::ffff:0:0:0/96", "64:ff9b::/96"))
# The NAT64 local-use prefix (RFC 8215) is not globally reachable (IANA), and where the IPv4
# address sits inside it is each operator's choice, so it cannot be judged by what it carries.
_NAT64_LOCAL_USE = ipaddress.ip_network("64:ff9b:1::/48")


class AddressRefused(ValueError):
    """The URL may not be called; the message says why, in words fit for the client."""


@dataclass(frozen=True)
class Target:
    host: str
    port: int
    address: str  # the checked IP address to connect to


async def resolve_system(host: str, port: int) -> list[str]:
    """The system resolver's answer (getaddrinfo, off the event loop)."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return _addresses(infos)


def _addresses(infos: list[Any]) -> list[str]:
    return [info[4][0].split("%")[0] for info in infos]


def _parts(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise AddressRefused("must be an absolute http(s) URL")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise AddressRefused("has an invalid port") from None
    return parts.hostname, port


def _embedded_ipv4(address: IPv6Address) -> list[IPv4Address]:
    carried = [a for a in (address.ipv4_mapped, address.sixtofour) if a is not None]
    carried += address.teredo or ()  # (server, client), the client's address un-obfuscated
    if any(address in network for network in _LOW_32_IS_IPV4):
        carried.append(IPv4Address(int(address) & 0xFFFFFFFF))
    return carried


def _refusal(address: IPv4Address | IPv6Address) -> str | None:
    if not address.is_global or address.is_multicast or address in _NAT64_LOCAL_USE:
        return f"points at a non-public address ({address})"
    for carried in _embedded_ipv4(address) if isinstance(address, IPv6Address) else ():
        if _refusal(carried):
            return f"points at a non-public address ({address}, which carries {carried})"
    return None


def _checked(host: str, port: int, addresses: list[str], allow_private: bool) -> Target:
    if not addresses:
        raise AddressRefused(f"host {host!r} does not resolve")
    if not allow_private:
        for text in addresses:
            if refusal := _refusal(ipaddress.ip_address(text)):
                raise AddressRefused(refusal)
    return Target(host, port, addresses[0])


def check_url(url: str, *, allow_private: bool) -> Target:
    """Resolve the URL's host and check every address it has (blocking: call from a thread)."""
    host, port = _parts(url)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise AddressRefused(f"host {host!r} does not resolve") from None
    return _checked(host, port, _addresses(infos), allow_private)


async def check_url_async(url: str, *, allow_private: bool, resolve: Resolver = resolve_system) -> Target:
    """`check_url` without blocking the event loop."""
    host, port = _parts(url)
    try:
        addresses = await resolve(host, port)
    except (socket.gaierror, UnicodeError):
        raise AddressRefused(f"host {host!r} does not resolve") from None
    return _checked(host, port, addresses, allow_private)


def check_syntax(url: str) -> None:
    """Only the shape: an absolute http(s) URL with a host (for settings stored before any call)."""
    _parts(url)


def _pinned_request(url: str, target: Target) -> tuple[str, dict[str, str], dict[str, str]]:
    """(url, headers, httpx extensions) that reach `target.address` while naming the host as usual
    (Host header; for https, SNI and certificate checks against the host name)."""
    parts = urlsplit(url)
    address = f"[{target.address}]" if ":" in target.address else target.address
    netloc = f"{address}:{target.port}"
    headers = {"Host": parts.netloc.rpartition("@")[2]}
    extensions = {"sni_hostname": target.host} if parts.scheme == "https" else {}
    return parts._replace(netloc=netloc).geturl(), headers, extensions


def new_client(**options: Any) -> httpx.AsyncClient:  # noqa: ANN401 - httpx.AsyncClient's own options
    """An httpx client for `send_pinned`. It never follows redirects itself (each hop is checked and
    pinned by the caller) and ignores proxy environment variables (a proxy would resolve the host
    name again, on its own, past the check)."""
    return httpx.AsyncClient(follow_redirects=False, trust_env=False, **options)


async def send_pinned(
    client: httpx.AsyncClient, method: str, url: str, *, allow_private: bool, resolve: Resolver = resolve_system,
    headers: dict[str, str] | None = None, content: bytes | None = None,
) -> httpx.Response:
    """Check `url`, then send one request to the checked address. The response is streamed: the caller
    reads and closes it. Raises AddressRefused, or httpx's errors."""
    target = await check_url_async(url, allow_private=allow_private, resolve=resolve)
    pinned_url, host, extensions = _pinned_request(url, target)
    request = client.build_request(method, pinned_url, content=content, headers={**(headers or {}), **host},
                                   extensions=extensions)
    return await client.send(request, stream=True)
