"""Fixtures for single sign-on: a loopback OpenID Provider (tests/sso/idp.py) and Acme configured to use it."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client

from accessctl.models import Organization
from sso.models import OidcConfiguration
from tests.sso.idp import CLIENT_ID, CLIENT_SECRET, FakeIdp, start_idp


@pytest.fixture
def idp() -> Iterator[FakeIdp]:
    provider, server = start_idp()
    try:
        yield provider
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def acme_sso(acme: Organization, idp: FakeIdp) -> OidcConfiguration:
    """Acme signs in through the test IdP: example.org addresses, IdP group `clinicians` → auditor."""
    config = OidcConfiguration(
        organization=acme,
        enabled=True,
        issuer=idp.issuer,
        client_id=CLIENT_ID,
        allowed_domains=["example.org"],
        role_mapping=[{"value": "clinicians", "role": "auditor"}, {"value": "security", "role": "security-admin"}],
    )
    config.client_secret = CLIENT_SECRET
    config.save()
    return config


def idp_url(start: Any) -> str:
    """The IdP authorization URL the "Continue to your identity provider" page moves on to."""
    assert start.status_code == 200, start.content
    match = re.search(r'id="idp-link" href="([^"]+)"', start.content.decode())
    assert match, start.content
    return html.unescape(match.group(1))


def sso_sign_in(client: Client, idp: FakeIdp, claims: dict[str, Any], identifier: str = "bob@example.org") -> Any:
    """Start at "Sign in with SSO", let the IdP sign `claims` in, and return the callback's response."""
    request = parse_qs(urlsplit(idp_url(client.post("/login/sso", {"identifier": identifier, "next": "/"}))).query)
    assert request["code_challenge_method"] == ["S256"]
    code = idp.issue_code(claims=claims, nonce=request["nonce"][0], code_challenge=request["code_challenge"][0])
    return client.get("/login/sso/callback", {"code": code, "state": request["state"][0]})
