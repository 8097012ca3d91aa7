"""Sending a batch of OCSF events to a collector, and knowing it arrived.

HTTPS: one POST of JSON lines (`application/x-ndjson`) with the bearer token; a 2xx answer acknowledges the whole
batch. Syslog: RFC 5424 messages with RFC 5425 octet-counting framing over TLS; syslog has no acknowledgement, so
the batch counts as received when the receiver has read to the end of our stream and closed cleanly (a receiver
that dies with unread data resets the connection instead). Both connect only to addresses the external-endpoint
guard allows (checked again at every connection, so DNS rebinding does not help) and verify TLS against the
configured host name, with the destination's own CA certificates when it has them.
"""

from __future__ import annotations

import socket
import ssl
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import httpx

from deployments.providers.egress import EgressRefused, GuardedTransport, resolve
from siem.models import DestinationKind, SiemDestination

TIMEOUT_SECONDS = 15.0
SYSLOG_FACILITY = 13  # log audit (RFC 5424, table 1)
_SYSLOG_SEVERITY = {1: 6, 2: 5, 3: 4, 4: 3, 5: 2, 6: 1}  # OCSF severity_id -> syslog severity (info ... alert)


class DeliveryFailed(Exception):
    """The collector did not acknowledge the batch; the message is safe to store and show (no secrets)."""


def tls_context(destination: SiemDestination) -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    if destination.ca_pem:
        context.load_verify_locations(cadata=destination.ca_pem)
    return context


def send_https(destination: SiemDestination, lines: Sequence[bytes]) -> None:
    headers = {"Content-Type": "application/x-ndjson", "Authorization": f"Bearer {destination.token}",
               "User-Agent": "PaiTIENT-SIEM-export/1"}  # fmt: skip
    transport = GuardedTransport(verify=tls_context(destination))
    try:
        with httpx.Client(transport=transport, timeout=TIMEOUT_SECONDS, follow_redirects=False) as client:
            response = client.post(destination.url, content=b"".join(lines), headers=headers)
    except httpx.HTTPError as exc:
        raise DeliveryFailed(f"could not reach the collector ({type(exc).__name__})") from None
    if not 200 <= response.status_code < 300:
        raise DeliveryFailed(f"the collector answered HTTP {response.status_code}")


def syslog_frame(ocsf: dict[str, Any], line: bytes) -> bytes:
    """One RFC 5424 message (MSGID our event id, MSG the OCSF JSON) with RFC 5425 octet-counting framing."""
    severity = _SYSLOG_SEVERITY.get(int(ocsf.get("severity_id", 1)), 6)
    stamp = datetime.fromtimestamp(ocsf["time"] / 1000, tz=UTC).isoformat(timespec="milliseconds")
    header = f"<{SYSLOG_FACILITY * 8 + severity}>1 {stamp.replace('+00:00', 'Z')} paitient paitient-audit - "
    message = header.encode() + str(ocsf["metadata"]["uid"]).encode() + b" - " + line.rstrip(b"\n")
    return str(len(message)).encode() + b" " + message


def send_syslog(destination: SiemDestination, frames: Sequence[bytes]) -> None:
    port = destination.port or 6514
    try:
        addresses = resolve(destination.host, port)
    except EgressRefused as exc:
        raise DeliveryFailed(str(exc)[:200]) from None
    context = tls_context(destination)
    failure = "no address"
    for address in addresses:
        try:
            raw = socket.create_connection((address, port), timeout=TIMEOUT_SECONDS)
        except OSError as exc:
            failure = type(exc).__name__
            continue
        try:
            with context.wrap_socket(raw, server_hostname=destination.host) as tls:
                tls.sendall(b"".join(frames))
                _await_clean_close(tls)
        except (OSError, ssl.SSLError) as exc:
            raise DeliveryFailed(f"the syslog receiver did not take the batch ({type(exc).__name__})") from None
        return
    raise DeliveryFailed(f"could not reach the syslog receiver ({failure})")


def _await_clean_close(tls: ssl.SSLSocket) -> None:
    """Close our side, then wait for the receiver to close its own: it has read everything we sent by then."""
    try:
        raw = tls.unwrap()  # our close_notify; returns once the receiver answers with its own
    except ssl.SSLError:  # it closed the TCP connection without close_notify: still a clean end if no reset
        return
    raw.shutdown(socket.SHUT_WR)
    while raw.recv(4096):
        pass


def send(destination: SiemDestination, events: Sequence[tuple[dict[str, Any], bytes]]) -> None:
    """Deliver one batch of (OCSF event, its JSON line); DeliveryFailed unless the collector acknowledged it."""
    if destination.kind == DestinationKind.HTTPS:
        send_https(destination, [line for _, line in events])
    else:
        send_syslog(destination, [syslog_frame(ocsf, line) for ocsf, line in events])
