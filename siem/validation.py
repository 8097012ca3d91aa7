"""Checking a destination's settings, once for the console form and the REST serializer alike: every problem at
once, by field. The collector's host must pass the external-endpoint guard (deployments/providers/egress.py), so
a tenant cannot point the export at the portal's own network (SSRF)."""

from __future__ import annotations

import re
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit

from cryptography import x509

from deployments.providers.egress import EgressRefused, check_host
from siem.models import DestinationKind

MAX_BATCH = 5000
MAX_CA_PEM = 64 * 1024
MAX_TOKEN = 4096
DEFAULT_SYSLOG_TLS_PORT = 6514  # RFC 5425
HOST = re.compile(r"[A-Za-z0-9.\-]{1,253}|\[?[0-9A-Fa-f:.]{2,45}\]?")  # a DNS name, IPv4 or IPv6


@dataclass
class DestinationInput:
    """A destination's settings as given; `token` None means "keep the current one" on an update."""

    name: str
    kind: str
    url: str = ""
    host: str = ""
    port: int | None = None
    token: str | None = None
    ca_pem: str = ""
    batch_size: int = 500
    enabled: bool = True


def _check_url(url: str, errors: dict[str, list[str]]) -> None:
    try:
        parts = urlsplit(url)
        port = parts.port or 443
    except ValueError:
        errors["url"] = ["Give a URL such as https://collector.example.com/ingest."]
        return
    if parts.scheme != "https" or not parts.hostname:
        errors["url"] = ["The collector must be an https:// URL with a host."]
    elif parts.username or parts.password:
        errors["url"] = ["Put credentials in the token field, not in the URL."]
    elif parts.fragment:
        errors["url"] = ["The URL may not have a #fragment."]
    else:
        _check_egress(parts.hostname, port, "url", errors)


def _check_egress(host: str, port: int, field: str, errors: dict[str, list[str]]) -> None:
    try:
        check_host(host, port)
    except EgressRefused as exc:
        errors[field] = [str(exc)]


def _check_ca(ca_pem: str, errors: dict[str, list[str]]) -> None:
    if len(ca_pem) > MAX_CA_PEM:
        errors["ca_pem"] = [f"At most {MAX_CA_PEM // 1024} KiB of certificates."]
        return
    try:
        if not x509.load_pem_x509_certificates(ca_pem.encode()):
            raise ValueError
        ssl.create_default_context(cadata=ca_pem)
    except (ValueError, ssl.SSLError):
        errors["ca_pem"] = ["Give one or more PEM certificates (-----BEGIN CERTIFICATE-----)."]


def destination_errors(data: DestinationInput, *, creating: bool, has_token: bool = False) -> dict[str, list[str]]:
    """Every problem with `data`, by field name (the REST API's names); empty when it is fine."""
    errors: dict[str, list[str]] = {}
    if not data.name.strip() or len(data.name) > 80:
        errors["name"] = ["Give a name of 1 to 80 characters."]
    if data.kind not in DestinationKind.values:
        errors["kind"] = [f"Choose one of: {', '.join(DestinationKind.values)}."]
    if not 1 <= data.batch_size <= MAX_BATCH:
        errors["batch_size"] = [f"Give a whole number from 1 to {MAX_BATCH}."]
    if data.ca_pem.strip():
        _check_ca(data.ca_pem.strip(), errors)
    if data.token is not None and (len(data.token) > MAX_TOKEN or any(c in data.token for c in "\r\n\0")):
        errors["token"] = [f"The token is one line of at most {MAX_TOKEN} characters."]
    if data.kind == DestinationKind.HTTPS:
        if not data.url:
            errors["url"] = ["An HTTPS collector needs its URL."]
        elif len(data.url) > 500:
            errors["url"] = ["At most 500 characters."]
        else:
            _check_url(data.url, errors)
        if "token" not in errors and not data.token and (creating or not has_token):
            errors["token"] = ["An HTTPS collector needs the bearer token it expects."]
    elif data.kind == DestinationKind.SYSLOG:
        port = data.port if data.port is not None else DEFAULT_SYSLOG_TLS_PORT
        if not 1 <= port <= 65535:
            errors["port"] = ["Give a port from 1 to 65535."]
        if not HOST.fullmatch(data.host):
            errors["host"] = ["Give the receiver's host name or IP address."]
        elif "port" not in errors:
            _check_egress(data.host, port, "host", errors)
        if data.token:
            errors["token"] = ["Syslog over TLS takes no token; leave it empty."]
    return errors
