"""Invitations: alice invites by e-mail (user:manage), the signed link works once for 72 hours, accepting sets a
password that passes the policy, resend replaces the link, revoke ends it; all audited without the link."""

from __future__ import annotations

import re
import time
from datetime import timedelta
from urllib.parse import unquote, urlencode

import pytest
from django.core import mail
from django.utils import timezone
from rest_framework.test import APIClient

from accessctl.actor import Actor
from accessctl.invitations import invitation_accept, invitation_create, invitation_for_token
from accessctl.models import Invitation, Membership, RoleAssignment, User
from accessctl.security import settings_for
from audit.models import AuditEvent
from tests.conftest import grant
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
GOOD_PASSWORD = "tangerine-orbit-cascade-41"


def _link_token(message: mail.EmailMessage) -> str:
    match = re.search(r"/invite/accept\?token=(\S+)", str(message.body))
    assert match, message.body
    return unquote(match.group(1))


def _invite(client: APIClient, **body: object):
    return client.post("/api/v1/invitations", {"email": "Erin@Example.org", **body}, format="json")


@pytest.fixture
def admin_client(alice) -> APIClient:
    client = APIClient()
    client.force_authenticate(alice)
    return client


def test_an_invitation_mails_a_signed_link_and_creates_an_invited_member(
    admin_client, acme, alice, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = _invite(admin_client, first_name="Erin", roles=["auditor"])
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["email"] == "erin@example.org" and body["status"] == "pending" and body["roles"] == ["auditor"]
    assert "token" not in str(body) and "/invite/" not in str(body)
    erin = User.objects.get(username="erin@example.org")
    assert not erin.has_usable_password()
    membership = Membership.objects.get(user=erin, organization=acme)
    assert membership.status == "invited" and not membership.is_active
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["erin@example.org"]
    token = _link_token(mail.outbox[0])
    found = invitation_for_token(token)
    assert found is not None and found.public_id == body["id"]
    # the token rides in the query string, which the access log leaves out
    assert re.search(r"https?://[^/\s]+/invite/accept\?token=", str(mail.outbox[0].body))
    event = AuditEvent.objects.get(event_type="user.invited")
    assert event.user_id == alice.public_id and event.resource_id == erin.public_id
    assert token not in str(event.details) and "erin@" not in str(event.details)


def test_accepting_sets_the_password_activates_and_works_once(admin_client, acme, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _invite(admin_client, roles=["auditor"])
    token = _link_token(mail.outbox[0])
    accepted = invitation_accept(token=token, password=GOOD_PASSWORD)
    assert accepted.user.check_password(GOOD_PASSWORD)
    assert Membership.objects.get(user=accepted.user).status == "active"
    assert RoleAssignment.objects.filter(user=accepted.user, role__name="auditor").exists()
    assert Invitation.objects.get().status == "accepted"
    assert invitation_for_token(token) is None
    with pytest.raises(Exception, match="invalid, expired or already used"):
        invitation_accept(token=token, password=GOOD_PASSWORD + "x")
    event = AuditEvent.objects.get(event_type="user.invitation_accepted")
    assert event.user_id == accepted.user.public_id and GOOD_PASSWORD not in str(event.details)


@pytest.mark.parametrize(
    ("password", "says"),
    [
        ("short-1", "too short"),
        ("password123456", "too common"),
        ("12345678901234", "entirely numeric"),
        ("erinexample.org", "too similar"),
    ],
)
def test_a_weak_password_is_refused_by_the_policy(
    admin_client, password, says, client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _invite(admin_client)
    token = _link_token(mail.outbox[0])
    page = client.post(
        f"/invite/accept?{urlencode({'token': token})}", {"password": password, "password_again": password}
    )
    assert page.status_code == 200
    assert says in page.content.decode()
    assert Invitation.objects.get().status == "pending"
    assert not User.objects.get(username="erin@example.org").has_usable_password()


def test_accepting_in_the_console_signs_in_and_asks_for_mfa_enrolment_when_required(
    admin_client, acme, client, django_capture_on_commit_callbacks
):
    policy = settings_for(acme)
    policy.require_mfa = True
    policy.save()
    with django_capture_on_commit_callbacks(execute=True):
        _invite(admin_client)
    token = _link_token(mail.outbox[0])
    assert client.get(f"/invite/accept?{urlencode({'token': token})}").status_code == 200
    response = client.post(
        f"/invite/accept?token={token}", {"password": GOOD_PASSWORD, "password_again": GOOD_PASSWORD}
    )
    assert response.status_code == 302 and response["Location"] == "/account/mfa"
    assert client.get("/").status_code == 302  # the MFA gate holds until enrolment
    client.logout()
    assert client.get(f"/invite/accept?{urlencode({'token': token})}").status_code == 410


def test_a_link_older_than_72_hours_is_refused(admin_client, django_capture_on_commit_callbacks, monkeypatch):
    with django_capture_on_commit_callbacks(execute=True):
        _invite(admin_client)
    token = _link_token(mail.outbox[0])
    assert invitation_for_token(token) is not None
    later = time.time() + timedelta(hours=72, seconds=5).total_seconds()
    monkeypatch.setattr("django.core.signing.time.time", lambda: later)  # the signature's own timestamp
    assert invitation_for_token(token) is None


def test_an_invitation_past_its_expiry_is_refused(admin_client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _invite(admin_client)
    token = _link_token(mail.outbox[0])
    Invitation.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert invitation_for_token(token) is None
    assert admin_client.get("/api/v1/invitations").json()["results"][0]["status"] == "expired"


def test_a_tampered_link_is_refused(admin_client, django_capture_on_commit_callbacks, client):
    with django_capture_on_commit_callbacks(execute=True):
        _invite(admin_client)
    token = _link_token(mail.outbox[0])
    assert invitation_for_token(token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]) is None
    assert client.get("/invite/accept?token=not-a-token").status_code == 410


def test_resend_replaces_the_link(admin_client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        invitation_id = _invite(admin_client).json()["id"]
    first = _link_token(mail.outbox[0])
    with django_capture_on_commit_callbacks(execute=True):
        resent = admin_client.post(f"/api/v1/invitations/{invitation_id}/resend")
    assert resent.status_code == 200 and resent.json()["send_count"] == 2
    second = _link_token(mail.outbox[1])
    assert invitation_for_token(first) is None
    assert invitation_for_token(second) is not None
    assert AuditEvent.objects.filter(event_type="user.invitation_resent", resource_id=resent.json()["user_id"]).exists()


def test_revoke_ends_the_link_and_keeps_the_account(admin_client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        body = _invite(admin_client).json()
    token = _link_token(mail.outbox[0])
    revoked = admin_client.post(f"/api/v1/invitations/{body['id']}/revoke")
    assert revoked.status_code == 200 and revoked.json()["status"] == "revoked"
    assert invitation_for_token(token) is None
    assert User.objects.filter(public_id=body["user_id"]).exists()  # identities stay resolvable
    assert admin_client.get(f"/api/v1/users/{body['user_id']}").json()["status"] == "deactivated"
    again = admin_client.post(f"/api/v1/invitations/{body['id']}/revoke")
    assert again.status_code == 409 and "status" in again.json()["errors"]
    assert AuditEvent.objects.filter(event_type="user.invitation_revoked").count() == 1


def test_a_revoked_invitee_is_invited_again_under_the_same_identity(admin_client, django_capture_on_commit_callbacks):
    first = _invite(admin_client, roles=["auditor"]).json()
    admin_client.post(f"/api/v1/invitations/{first['id']}/revoke")
    refused = admin_client.post(f"/api/v1/users/{first['user_id']}/reactivate")
    assert refused.status_code == 409 and "invite them again" in refused.json()["errors"]["status"][0]
    with django_capture_on_commit_callbacks(execute=True):
        again = _invite(admin_client, roles=["compliance-officer"])
    assert again.status_code == 201 and again.json()["user_id"] == first["user_id"]
    assert again.json()["roles"] == ["compliance-officer"]  # not the lapsed invitation's auditor
    assert admin_client.get(f"/api/v1/users/{first['user_id']}").json()["status"] == "invited"
    assert _invite(admin_client).json()["errors"]["email"] == [
        "This person has a pending invitation; resend it instead."
    ]
    accepted = invitation_accept(token=_link_token(mail.outbox[-1]), password=GOOD_PASSWORD)
    assert accepted.user.public_id == first["user_id"]


def test_bad_input_names_the_field(admin_client, alice):
    assert "email" in admin_client.post("/api/v1/invitations", {"email": "nope"}, format="json").json()["errors"]
    unknown = _invite(admin_client, roles=["no-such-role"])
    assert unknown.status_code == 400 and "roles" in unknown.json()["errors"]
    taken = admin_client.post("/api/v1/invitations", {"email": alice.email}, format="json")
    assert taken.status_code == 400 and "email" in taken.json()["errors"]
    extra = _invite(admin_client, password="x")
    assert extra.status_code == 400 and "password" in extra.json()["errors"]


def test_nobody_invites_with_a_role_beyond_their_own(acme, bob):
    grant(bob, acme, "security-admin")  # user:manage, but not baa:manage
    client = APIClient()
    client.force_authenticate(bob)
    response = _invite(client, roles=["compliance-officer"])
    assert response.status_code == 403
    assert not User.objects.filter(username="erin@example.org").exists()
    denials = AuditEvent.objects.filter(event_type="access.denied", user_id=bob.public_id)
    assert any(event.details.get("reason") == "beyond_own_permissions" for event in denials)


def test_another_organisations_invitation_is_not_found(acme, alice, charlie):
    invitation = invitation_create(actor=Actor(organization=acme, user=alice), email="erin@example.org")
    client = APIClient()
    client.force_authenticate(charlie)
    assert client.post(f"/api/v1/invitations/{invitation.public_id}/revoke").status_code == 404
    assert client.get("/api/v1/invitations").json()["results"] == []


def test_the_console_invite_form_shows_field_errors(alice, client):
    client.force_login(alice)
    page = client.post("/access/users/invite", {"email": alice.email})
    assert page.status_code == 200 and "already has an account" in page.content.decode()
    done = client.post("/access/users/invite", {"email": "frank@example.org", "roles": ["auditor"]})
    assert done.status_code == 302
    assert Invitation.objects.filter(email="frank@example.org").exists()
    assert UserFactory._meta.model.objects.filter(username="frank@example.org").exists()
