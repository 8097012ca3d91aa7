"""SCIM fixtures: a token Acme's administrator alice issued for Okta, and a client that sends it."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from accessctl.actor import Actor
from accessctl.models import Organization, User
from scim.tokens import scim_token_issue

SCIM_JSON = "application/scim+json"
USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


class ScimClient:
    """Django's test client speaking SCIM with a bearer token."""

    def __init__(self, token: str) -> None:
        self.client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(f"/scim/v2{path}", params)

    def send(self, method: str, path: str, body: dict[str, Any] | None = None, **headers: str) -> Any:
        payload = json.dumps(body) if body is not None else ""
        return getattr(self.client, method)(f"/scim/v2{path}", payload, content_type=SCIM_JSON, headers=headers)


def issue(organization: Organization, user: User, name: str = "okta") -> str:
    return scim_token_issue(actor=Actor(organization=organization, user=user), name=name)[1]


@pytest.fixture
def okta(acme: Organization, alice: User) -> ScimClient:
    return ScimClient(issue(acme, alice))


def new_user(user_name: str = "dana@acme.test", **extra: Any) -> dict[str, Any]:
    return {
        "schemas": [USER_SCHEMA],
        "userName": user_name,
        "externalId": "00u-dana",
        "name": {"givenName": "Dana", "familyName": "Scully"},
        "emails": [{"value": user_name, "type": "work", "primary": True}],
        "active": True,
        **extra,
    }
