"""The outbound address policy over a table of addresses: an IPv6 address that carries an IPv4
address is judged by both, and public addresses of either family still pass."""

from __future__ import annotations

import asyncio
from ipaddress import ip_address

import pytest

from massdm.outbound import AddressRefused, check_url, check_url_async

REFUSED = {
    "127.0.0.1": "127.0.0.1",
    "10.0.0.1": "10.0.0.1",
    "169.254.169.254": "169.254.169.254",
    "::1": "::1",
    "fe80::1": "fe80::1",
    "fc00::1": "fc00::1",
    "::ffff:127.0.0.1": "::ffff:7f00:1",  # IPv4-mapped
    "::127.0.0.1": "::7f00:1, which carries 127.0.0.1",  # IPv4-compatible
    "::10.1.2.3": "::a01:203, which carries 10.1.2.3",
    "::ffff:0:127.0.0.1": "::ffff:0:7f00:1, which carries 127.0.0.1",  # IPv4-translated (SIIT)
    "64:ff9b::7f00:1": "64:ff9b::7f00:1, which carries 127.0.0.1",  # NAT64, well-known prefix
    "64:ff9b::a9fe:a9fe": "64:ff9b::a9fe:a9fe, which carries 169.254.169.254",
    "64:ff9b:1::808:808": "64:ff9b:1::808:808",  # NAT64 local-use prefix: never globally reachable
    "2002:7f00:1::": "2002:7f00:1::, which carries 127.0.0.1",  # 6to4
    "2002:c0a8:101::1": "2002:c0a8:101::1, which carries 192.168.1.1",
    "2001:0:4136:e378:8000:63bf:3fff:fdd2": "2001:0:4136:e378:8000:63bf:3fff:fdd2",  # Teredo
}
PUBLIC = ["8.8.8.8", "1.1.1.1", "2001:4860:4860::8888", "2606:4700:4700::1111",
          "::ffff:8.8.8.8", "64:ff9b::808:808", "2002:808:808::1", "::ffff:0:8.8.8.8"]


def _url(address: str) -> str:
    return f"http://[{address}]/x" if ":" in address else f"http://{address}/x"


@pytest.mark.parametrize(("address", "named"), REFUSED.items())
def test_non_public_addresses_are_refused_in_every_form(address, named):
    with pytest.raises(AddressRefused) as refused:
        check_url(_url(address), allow_private=False)
    assert str(refused.value) == f"points at a non-public address ({named})"
    allowed = check_url(_url(address), allow_private=True)  # unless the deployment allows them
    assert ip_address(allowed.address) == ip_address(address)


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_pass(address):
    target = check_url(_url(address), allow_private=False)
    assert (target.host, target.port, ip_address(target.address)) == (address, 80, ip_address(address))


def test_a_host_is_refused_if_any_of_its_addresses_carries_a_private_one():
    async def resolve(host: str, port: int) -> list[str]:
        assert (host, port) == ("files.example", 443)
        return ["2001:4860:4860::8888", "64:ff9b::a00:1"]

    with pytest.raises(AddressRefused, match=r"non-public address \(64:ff9b::a00:1, which carries 10.0.0.1\)"):
        asyncio.run(check_url_async("https://files.example/x", allow_private=False, resolve=resolve))
