"""Offboarding: deactivating bob ends his console sessions, revokes his API keys and his break-glass requests
and grants at once, keeps every audit event, and is audited with actor and target; reactivation restores no
credential. The last administrator and oneself are refused."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from rest_framework.test import APIClient

from accessctl.api_keys import api_key_issue
from accessctl.models import ApiKey, Membership, Role, User, UserSession
from accessctl.policy import PERMISSIONS
from audit.models import AuditEvent
from emergency.models import EmergencyAccessRequest, RequestStatus
from tests.conftest import grant
from tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db


def _requests(acme, bob):
    now = timezone.now()
    common = {"organization": acme, "requester": bob, "reason": "offboarding test", "resource": "deployment/*",
              "permissions": ["text:generate"], "approvals_needed": 2, "duration_hours": 4,
              "pending_until": now + timedelta(hours=4)}  # fmt: skip
    pending = EmergencyAccessRequest.objects.create(**common)
    granted = EmergencyAccessRequest.objects.create(**common, status=RequestStatus.APPROVED, granted_at=now,
                                                    grant_expires_at=now + timedelta(hours=4))  # fmt: skip
    return pending, granted


@pytest.fixture
def signed_in_bob(acme, bob, client):
    """bob with a console session (the test client) and an API key; his token is returned."""
    grant(bob, acme, "auditor")
    response = client.post("/login/", {"username": "bob", "password": TEST_PASSWORD})
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    _, token = api_key_issue(actor=None, organization=acme, user=bob, name="laptop")
    return token


def test_deactivation_ends_sessions_keys_and_break_glass_at_once(acme, alice, bob, client, signed_in_bob):
    pending, granted = _requests(acme, bob)
    events_before = AuditEvent.objects.filter(user_id=bob.public_id).count()
    admin = APIClient()
    admin.force_authenticate(alice)

    response = admin.post(f"/api/v1/users/{bob.public_id}/deactivate")

    assert response.status_code == 200, response.content
    ended = response.json()["ended"]
    assert ended == {"sessions_ended": 1, "api_keys_revoked": 1, "invitations_revoked": 0,
                     "emergency_requests_cancelled": 1, "emergency_grants_revoked": 1}  # fmt: skip
    assert response.json()["user"]["status"] == "deactivated"
    # his next requests: the console session is gone, the key is refused
    assert client.get("/").status_code == 302
    key_client = APIClient()
    key_client.credentials(HTTP_AUTHORIZATION=f"Bearer {signed_in_bob}")
    assert key_client.get("/api/v1/me").status_code == 401
    # and he cannot sign in again
    assert client.post("/login/", {"username": "bob", "password": TEST_PASSWORD}).status_code == 200
    assert not UserSession.objects.filter(user=bob).exists()
    pending.refresh_from_db()
    granted.refresh_from_db()
    assert pending.status == RequestStatus.CANCELLED and granted.status == RequestStatus.REVOKED
    assert ApiKey.objects.get(user=bob).revoked_at is not None
    # nothing is erased: the account and every earlier event stay
    assert User.objects.filter(pk=bob.pk).exists()
    assert AuditEvent.objects.filter(user_id=bob.public_id).count() >= events_before
    event = AuditEvent.objects.get(event_type="user.deactivated")
    assert event.user_id == alice.public_id and event.resource_id == bob.public_id
    assert event.details == ended
    revoked = AuditEvent.objects.get(event_type="emergency_access.revoked")
    assert revoked.details["reason"] == "offboarded" and revoked.user_id == alice.public_id


def test_reactivation_restores_sign_in_but_no_credential(acme, alice, bob, client, signed_in_bob):
    admin = APIClient()
    admin.force_authenticate(alice)
    admin.post(f"/api/v1/users/{bob.public_id}/deactivate")
    again = admin.post(f"/api/v1/users/{bob.public_id}/deactivate")
    assert again.status_code == 409 and "status" in again.json()["errors"]

    response = admin.post(f"/api/v1/users/{bob.public_id}/reactivate")

    assert response.status_code == 200 and response.json()["status"] == "active"
    assert response.json()["api_keys"] == 0
    key_client = APIClient()
    key_client.credentials(HTTP_AUTHORIZATION=f"Bearer {signed_in_bob}")
    assert key_client.get("/api/v1/me").status_code == 401
    assert client.post("/login/", {"username": "bob", "password": TEST_PASSWORD}).status_code == 302
    event = AuditEvent.objects.get(event_type="user.reactivated")
    assert event.user_id == alice.public_id and event.resource_id == bob.public_id


def test_nobody_deactivates_themselves(alice):
    client = APIClient()
    client.force_authenticate(alice)
    response = client.post(f"/api/v1/users/{alice.public_id}/deactivate")
    assert response.status_code == 403
    assert Membership.objects.get(user=alice).status == "active"
    denial = AuditEvent.objects.get(event_type="access.denied")
    assert denial.details["reason"] == "self_deactivate"


def test_the_last_administrator_is_a_conflict(acme, alice, bob):
    """bob holds every permission through a custom role, but alice is the only org-admin: she stays."""
    Role.objects.create(organization=acme, name="everything", permissions=sorted(PERMISSIONS))
    grant(bob, acme, "everything")
    client = APIClient()
    client.force_authenticate(bob)
    response = client.post(f"/api/v1/users/{alice.public_id}/deactivate")
    assert response.status_code == 409 and "user_id" in response.json()["errors"]
    assert Membership.objects.get(user=alice).status == "active"
    assert AuditEvent.objects.get(event_type="access.denied").details["reason"] == "last_admin"


def test_bad_ids_are_not_found(alice):
    client = APIClient()
    client.force_authenticate(alice)
    assert client.post("/api/v1/users/user_missing0000/deactivate").status_code == 404


def test_the_console_shows_the_checklist_of_what_was_ended(acme, alice, bob, signed_in_bob):
    from django.test import Client

    console = Client()
    console.force_login(alice)
    question = console.post(f"/access/users/{bob.public_id}/deactivate")
    assert "Deactivate a member" in question.content.decode()  # asks first, naming the member
    page = console.post(f"/access/users/{bob.public_id}/deactivate", {"confirmed": "yes"})
    assert page.status_code == 200
    text = page.content.decode()
    assert 'data-item="sessions_ended">1<' in text and 'data-item="api_keys_revoked">1<' in text
    detail = console.get(f"/access/users/{bob.public_id}").content.decode()
    assert "deactivated" in detail and "Reactivate" in detail


def test_an_administrator_sends_a_reset_link_without_seeing_it(acme, alice, bob, django_capture_on_commit_callbacks):
    client = APIClient()
    client.force_authenticate(alice)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/api/v1/users/{bob.public_id}/password-reset")
    assert response.status_code == 202 and not response.content
    assert [m.to for m in mail.outbox] == [[bob.email]]
    assert "/password-reset/" in mail.outbox[0].body
    event = AuditEvent.objects.get(event_type="user.password_reset_sent")
    assert event.user_id == alice.public_id and event.resource_id == bob.public_id
    assert "password-reset" not in str(event.details)
