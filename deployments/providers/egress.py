"""Where the external provider may connect: public internet addresses only (SSRF guard).

An external endpoint's URL is chosen by a tenant, so the portal must not become their way into its own network:
loopback (the portal itself, the local runtimes), private and CGNAT networks, link-local (cloud metadata at
169.254.169.254), unique-local, multicast and reserved addresses are refused. The check runs twice: when a
deployment is created (`check_host`, a 400 naming `endpoint.url`), and on every connection (`GuardedTransport`),
which resolves the name itself, checks every address it resolves to and connects to a checked address — so a
name that resolved to a public address at creation and to 127.0.0.1 later (DNS rebinding) is still refused. TLS
is verified against the original host name.

`PAITIENT_EXTERNAL_ALLOW_PRIVATE_NETWORKS` (off by default) lets local development use loopback and private
networks; cloud metadata, link-local, multicast, reserved and unspecified addresses stay refused even then.
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
from collections.abc import Iterable
from dataclasses import dataclass

import httpcore
import httpx
import structlog
from django.conf import settings

log = structlog.get_logger(__name__)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Instance metadata services: AWS/GCP/Azure/OpenStack (IPv4 and AWS's IPv6), AWS ECS task metadata, Alibaba.
METADATA = frozenset(
    ipaddress.ip_address(a) for a in ("169.254.169.254", "fd00:ec2::254", "169.254.170.2", "100.100.100.200")
)
# Reachable only with PAITIENT_EXTERNAL_ALLOW_PRIVATE_NETWORKS (local development).
PRIVATE_NETWORKS: tuple[tuple[str, ipaddress.IPv4Network | ipaddress.IPv6Network], ...] = (
    ("loopback", ipaddress.ip_network("127.0.0.0/8")),
    ("loopback", ipaddress.ip_network("::1/128")),
    ("private", ipaddress.ip_network("10.0.0.0/8")),
    ("private", ipaddress.ip_network("172.16.0.0/12")),
    ("private", ipaddress.ip_network("192.168.0.0/16")),
    ("shared (CGNAT)", ipaddress.ip_network("100.64.0.0/10")),
    ("unique-local", ipaddress.ip_network("fc00::/7")),
    ("site-local", ipaddress.ip_network("fec0::/10")),
)
# Never reachable.
SPECIAL_NETWORKS: tuple[tuple[str, ipaddress.IPv4Network | ipaddress.IPv6Network], ...] = (
    ("unspecified", ipaddress.ip_network("0.0.0.0/8")),
    ("unspecified", ipaddress.ip_network("::/128")),
    ("link-local", ipaddress.ip_network("169.254.0.0/16")),
    ("link-local", ipaddress.ip_network("fe80::/10")),
    ("multicast", ipaddress.ip_network("224.0.0.0/4")),
    ("multicast", ipaddress.ip_network("ff00::/8")),
    ("reserved", ipaddress.ip_network("240.0.0.0/4")),  # and the broadcast address
)
NAT64 = ipaddress.ip_network("64:ff9b::/96")
LOCALHOST_NAMES = ("localhost", "localhost.")


class EgressRefused(Exception):
    """The address is not one the external provider may connect to; the message is safe to show."""


@dataclass(frozen=True)
class Verdict:
    kind: str  # "public", or what the address is: "loopback", "private", "link-local", "cloud metadata"...
    local: bool = False  # allowed when PAITIENT_EXTERNAL_ALLOW_PRIVATE_NETWORKS is on

    def allowed(self, allow_private: bool) -> bool:
        return self.kind == "public" or (self.local and allow_private)


PUBLIC = Verdict("public")


def allow_private_networks() -> bool:
    return bool(getattr(settings, "PAITIENT_EXTERNAL_ALLOW_PRIVATE_NETWORKS", False))


def classify(address: str | IPAddress) -> Verdict:
    """What an IP address is, for the egress policy (IPv6 forms that embed an IPv4 address are unwrapped)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0] if isinstance(address, str) else address)
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return classify(ip.ipv4_mapped)
        if ip in NAT64:
            return classify(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
        if ip.sixtofour is not None and (inner := classify(ip.sixtofour)) != PUBLIC:
            return Verdict(f"6to4 ({inner.kind})")
    if ip in METADATA:
        return Verdict("cloud metadata")
    for kind, network in SPECIAL_NETWORKS:
        if ip.version == network.version and ip in network:
            return Verdict(kind)
    for kind, network in PRIVATE_NETWORKS:
        if ip.version == network.version and ip in network:
            return Verdict(kind, local=True)
    if ip.is_multicast or ip.is_link_local or ip.is_unspecified:
        return Verdict("special-purpose")
    if ip.is_reserved or ip.is_private or not ip.is_global:
        return Verdict("reserved")  # documentation, benchmarking, IETF protocol assignments, IPv4-compatible...
    return PUBLIC


def is_loopback_host(host: str) -> bool:
    """A loopback IP literal or `localhost` (never resolved through DNS, RFC 6761)."""
    name = host.strip("[]").lower()
    if name in LOCALHOST_NAMES or name.rstrip(".").endswith(".localhost"):
        return True
    try:
        return classify(name).kind == "loopback"
    except ValueError:
        return False


def _literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]").split("%", 1)[0])
    except ValueError:
        return None


def resolve(host: str, port: int) -> list[str]:
    """Every address `host` resolves to, each one checked; EgressRefused when one is refused or none resolve.
    Every address must pass: a name with a public and a private address is refused."""
    allow_private = allow_private_networks()
    if not allow_private and _literal(host) is None and is_loopback_host(host):
        raise EgressRefused(f"{host} is a loopback address")  # `localhost` is not looked up
    try:
        infos = socket.getaddrinfo(host.strip("[]"), port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise EgressRefused(f"{host} does not resolve") from None
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if not addresses:
        raise EgressRefused(f"{host} does not resolve")
    for address in addresses:
        verdict = classify(address)
        if not verdict.allowed(allow_private):
            raise EgressRefused(f"{host} resolves to a {verdict.kind} address")
    return addresses


def check_host(host: str, port: int) -> None:
    """Creation-time check of an external endpoint's host; EgressRefused with a message for the tenant.

    An IP literal or `localhost` is judged without a lookup. A name that does not resolve gets the same message
    as one that resolves to a refused address, so the check does not tell which internal names exist."""
    allow_private = allow_private_networks()
    literal = _literal(host)
    if literal is not None or is_loopback_host(host):
        verdict = classify(literal) if literal is not None else Verdict("loopback", local=True)
        if not verdict.allowed(allow_private):
            raise EgressRefused(f"{host} is a {verdict.kind} address; the endpoint must be on the public internet.")
        return
    try:
        resolve(host, port)
    except EgressRefused:
        raise EgressRefused(
            f"{host} must resolve to public internet addresses only (not private, loopback, link-local, "
            "multicast, reserved or cloud metadata ones)."
        ) from None


class GuardedBackend(httpcore.SyncBackend):
    """httpcore's socket backend, but it resolves the host itself, refuses it unless every address passes
    `classify`, and connects to one of the checked addresses (never resolving the name again)."""

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        try:
            addresses = resolve(host, port)
        except EgressRefused as exc:
            log.warning("external_endpoint.refused", host=host[:100], reason=str(exc)[:200])
            raise httpcore.ConnectError("the address is not allowed") from None
        failure: Exception = httpcore.ConnectError("no address")
        for address in addresses:  # IP literals: `socket.create_connection` does no lookup for them
            try:
                return super().connect_tcp(address, port, timeout, local_address, socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
        raise failure


class GuardedTransport(httpx.HTTPTransport):
    """An httpx transport whose every connection goes through `GuardedBackend`. No proxies (a proxy would
    connect for us), no environment, and the client using it must not follow redirects (each hop would be
    checked anyway, but a redirect is an answer to report, not to follow)."""

    def __init__(self, verify: ssl.SSLContext | str | bool = True) -> None:
        if isinstance(verify, str):
            verify = ssl.create_default_context(cafile=verify)
        context = httpx.create_ssl_context(verify=verify, trust_env=False)
        super().__init__(verify=context, trust_env=False)
        self._pool = httpcore.ConnectionPool(
            ssl_context=context,
            max_connections=100,
            max_keepalive_connections=20,
            keepalive_expiry=5.0,
            network_backend=GuardedBackend(),
        )
