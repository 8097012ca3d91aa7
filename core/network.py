"""Client address and IP restrictions: proxies are trusted only when configured (TRUSTED_PROXIES)."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class InvalidNetwork(ValueError):
    """A CIDR that does not parse; the message names it."""


def parse_networks(values: Iterable[str]) -> list[Network]:
    networks = []
    for value in values:
        try:
            networks.append(ipaddress.ip_network(str(value).strip(), strict=False))
        except ValueError:
            raise InvalidNetwork(f"{value!r} is not an IPv4 or IPv6 address or CIDR") from None
    return networks


@lru_cache(maxsize=1)
def _trusted_proxies() -> tuple[Network, ...]:
    return tuple(parse_networks(settings.TRUSTED_PROXIES))


def _in_any(address: str, networks: Iterable[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def client_ip(request: HttpRequest) -> str | None:
    """REMOTE_ADDR, or — only when REMOTE_ADDR is a trusted proxy — the right-most untrusted hop of
    X-Forwarded-For (left-most entries are whatever the client chose to send)."""
    remote: str | None = request.META.get("REMOTE_ADDR") or None
    proxies = _trusted_proxies()
    if remote is None or not proxies or not _in_any(remote, proxies):
        return remote
    forwarded: str = request.META.get("HTTP_X_FORWARDED_FOR", "")
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _in_any(hop, proxies):
            return hop
    return remote


def ip_allowed(address: str | None, restrictions: list[str]) -> bool:
    """Empty restrictions allow everyone; otherwise the address must fall in one of the networks."""
    if not restrictions:
        return True
    if address is None:
        return False
    return _in_any(address, parse_networks(restrictions))
