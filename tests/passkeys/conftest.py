"""Fixtures for passkey tests: a console client on http://localhost (a secure context to browsers, so a valid
RP ID and origin) and the two ceremonies run with a software authenticator."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from accessctl.security import settings_for
from tests.factories import TEST_PASSWORD
from tests.passkeys.authenticator import SoftAuthenticator

REGISTER_BEGIN, REGISTER_COMPLETE = "/account/mfa/passkeys/begin", "/account/mfa/passkeys/complete"
SIGN_IN_BEGIN, SIGN_IN_COMPLETE = "/login/mfa/passkey/begin", "/login/mfa/passkey/complete"


def post_json(client: Client, path: str, body: Any) -> Any:
    return client.post(path, data=json.dumps(body), content_type="application/json")


def sign_in(client: Client, username: str) -> None:
    response = client.post("/login/", {"username": username, "password": TEST_PASSWORD})
    assert response.status_code == 302, "the password step should succeed"


def enrol(client: Client, authenticator: SoftAuthenticator, name: str) -> dict[str, Any]:
    options = post_json(client, REGISTER_BEGIN, {"name": name})
    assert options.status_code == 200, options.content
    completed = post_json(client, REGISTER_COMPLETE, {"credential": authenticator.register(options.json())})
    assert completed.status_code == 200, completed.content
    body: dict[str, Any] = completed.json()
    return body


def verify(client: Client, authenticator: SoftAuthenticator, **signing: Any) -> Any:
    options = post_json(client, SIGN_IN_BEGIN, {})
    assert options.status_code == 200, options.content
    return post_json(client, SIGN_IN_COMPLETE, {"credential": authenticator.sign(options.json(), **signing)})


def require_mfa(organization: Any) -> None:
    policy = settings_for(organization)
    policy.require_mfa = True
    policy.save()


@pytest.fixture
def console() -> Client:
    return Client(HTTP_HOST="localhost")


@pytest.fixture
def laptop() -> SoftAuthenticator:
    return SoftAuthenticator()
