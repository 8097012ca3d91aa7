"""API keys: shown once, stored hashed, Bearer authentication, narrowing, expiry, revocation, audit."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from rest_framework.test import APIClient

from accessctl.models import ApiKey
from audit.models import AuditEvent
from tests.conftest import grant

pytestmark = pytest.mark.django_db


def bearer(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


@pytest.fixture
def alice_token(api_client, alice) -> str:
    api_client.force_authenticate(alice)
    response = api_client.post("/api/v1/api-keys", {"name": "laptop"}, format="json")
    assert response.status_code == 201, response.json()
    token: str = response.json()["token"]
    return token


def test_token_is_shown_once_and_only_its_hash_is_stored(api_client, alice, alice_token):
    key = ApiKey.objects.get(user=alice)
    assert alice_token.startswith(f"psk_{key.prefix}_")
    secret = alice_token.split("_", 2)[2]
    assert secret not in key.secret_hash
    listed = api_client.get("/api/v1/api-keys").json()["results"]
    assert "token" not in listed[0] and listed[0]["prefix"] == key.prefix
    assert AuditEvent.objects.filter(event_type="api_key.created", user_id=alice.public_id).exists()


def test_bearer_key_authenticates_and_is_recorded_as_the_actor(alice, alice_token):
    response = bearer(alice_token).get("/api/v1/audit-logs")
    assert response.status_code == 200
    key = ApiKey.objects.get(user=alice)
    assert key.last_used_at is not None
    bearer(alice_token).post("/api/v1/roles", {"name": "x", "permissions": ["bogus:x"]}, format="json")
    bearer(alice_token).post(
        "/api/v1/roles", {"name": "via-key", "permissions": ["audit:read"], "resource_pattern": "*"}, format="json"
    )
    event = AuditEvent.objects.get(event_type="role.created", resource="role/via-key")
    assert event.api_key_id == key.public_id and event.actor_type == "api_key"


@pytest.mark.parametrize("mangle", ["wrong-secret", "unknown-prefix", "garbage"])
def test_bad_tokens_get_401_and_are_audited(alice_token, mangle):
    token = {
        "wrong-secret": alice_token[:-4] + "AAAA",
        "unknown-prefix": "psk_000000000000_" + alice_token.split("_", 2)[2],
        "garbage": "not-a-token",
    }[mangle]
    response = bearer(token).get("/api/v1/me")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert response["Content-Type"] == "application/problem+json"
    failed = AuditEvent.objects.get(event_type="auth.api_key.failed")
    assert failed.outcome == "denied"
    assert alice_token.split("_", 2)[2] not in str(failed.details)


def test_revoked_and_expired_keys_stop_working(api_client, alice, alice_token):
    key = ApiKey.objects.get(user=alice)
    assert api_client.delete(f"/api/v1/api-keys/{key.public_id}").status_code == 204
    assert bearer(alice_token).get("/api/v1/me").status_code == 401
    second = api_client.post(
        "/api/v1/api-keys", {"name": "short", "expires_at": (timezone.now() + timedelta(hours=1)).isoformat()},
        format="json",
    ).json()  # fmt: skip
    assert bearer(second["token"]).get("/api/v1/me").status_code == 200
    ApiKey.objects.filter(public_id=second["id"]).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert bearer(second["token"]).get("/api/v1/me").status_code == 401


def test_a_key_narrowed_to_a_role_has_only_that_roles_permissions(api_client, acme, alice):
    grant(alice, acme, "auditor")
    api_client.force_authenticate(alice)
    token = api_client.post("/api/v1/api-keys", {"name": "ro", "role_name": "auditor"}, format="json").json()["token"]
    assert bearer(token).get("/api/v1/audit-logs").status_code == 200
    assert bearer(token).get("/api/v1/roles").status_code == 403  # org-admin could; the key can't


def test_key_cannot_be_narrowed_to_a_role_its_user_lacks(api_client, bob):
    api_client.force_authenticate(bob)
    response = api_client.post("/api/v1/api-keys", {"name": "x", "role_name": "org-admin"}, format="json")
    assert response.status_code == 403 and "role you hold" in response.json()["detail"]
    denials = AuditEvent.objects.filter(event_type="access.denied")
    assert "key_role_not_held" in [e.details.get("reason") for e in denials]


def test_expiry_in_the_past_is_refused(api_client, alice):
    api_client.force_authenticate(alice)
    past = (timezone.now() - timedelta(days=1)).isoformat()
    response = api_client.post("/api/v1/api-keys", {"name": "old", "expires_at": past}, format="json")
    assert response.status_code == 400 and "expires_at" in response.json()["errors"]


def test_members_only_see_and_revoke_their_own_keys(api_client, alice, bob, alice_token):
    api_client.force_authenticate(bob)
    assert api_client.get("/api/v1/api-keys").json()["results"] == []
    key = ApiKey.objects.get(user=alice)
    assert api_client.delete(f"/api/v1/api-keys/{key.public_id}").status_code == 403
    assert api_client.post("/api/v1/api-keys", {"name": "for alice", "user_id": alice.public_id},
                           format="json").status_code == 403  # fmt: skip


def test_create_api_key_command_prints_a_working_token(alice):
    out = io.StringIO()
    call_command("create_api_key", "alice", stdout=out)
    line = out.getvalue().strip()
    assert line.startswith("PAITIENT_API_KEY=psk_")
    assert bearer(line.split("=", 1)[1]).get("/api/v1/me").json()["user_id"] == alice.public_id
    with pytest.raises(CommandError, match="no active user"):
        call_command("create_api_key", "nobody")


def test_console_issues_and_revokes_keys(client, bob):
    client.force_login(bob)
    page = client.post("/account/api-keys", {"name": "script"}).content.decode()
    assert 'data-testid="new-token">psk_' in page
    key = ApiKey.objects.get(user=bob)
    client.post(f"/account/api-keys/{key.public_id}/revoke", {"confirmed": "yes"})
    key.refresh_from_db()
    assert key.revoked_at is not None


def test_secrets_containing_underscores_and_dashes_work(api_client, alice, monkeypatch):
    monkeypatch.setattr("accessctl.api_keys.secrets.token_urlsafe", lambda n: "ab_cd-ef_" + "x" * 34)
    api_client.force_authenticate(alice)
    token = api_client.post("/api/v1/api-keys", {"name": "underscores"}, format="json").json()["token"]
    assert token.endswith("_ab_cd-ef_" + "x" * 34)
    assert bearer(token).get("/api/v1/me").status_code == 200
