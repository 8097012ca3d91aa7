"""The Python SDK's people methods against a live server: list and filter members, invite, resend, revoke,
deactivate (the key it deactivated stops working), reactivate, password reset; errors are typed."""

from __future__ import annotations

import pytest
from django.core import mail
from paitient_secure_model import Client, ConflictError, NotFoundError, ValidationError

from accessctl.api_keys import api_key_issue
from audit.models import AuditEvent
from tests.conftest import grant
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def admin_sdk(live_server, acme, alice):
    _, token = api_key_issue(actor=None, organization=acme, user=alice, name="python sdk")
    with Client(live_server.url, token, max_retries=0) as client:
        yield client


def test_people_round_trip_through_the_sdk(admin_sdk, live_server, acme, alice):
    bob = UserFactory.create(username="bob", organization=acme)
    grant(bob, acme, "auditor")
    _, bobs_token = api_key_issue(actor=None, organization=acme, user=bob, name="bob laptop")

    people = {user.username: user for user in admin_sdk.list_users()}
    assert set(people) == {"alice", "bob"}
    assert people["bob"].roles == ["auditor"] and people["bob"].api_keys == 1 and people["bob"].status == "active"
    assert [user.username for user in admin_sdk.list_users(role="org-admin")] == ["alice"]

    invitation = admin_sdk.invite_user("Erin@Example.org", first_name="Erin", roles=["auditor"])
    assert (invitation.email, invitation.status, invitation.roles) == ("erin@example.org", "pending", ["auditor"])
    assert [user.username for user in admin_sdk.list_users(status="invited")] == ["erin@example.org"]
    assert admin_sdk.resend_invitation(invitation.id).send_count == 2
    assert admin_sdk.revoke_invitation(invitation.id).status == "revoked"
    assert [i.status for i in admin_sdk.list_invitations()] == ["revoked"]
    assert len(mail.outbox) == 2

    offboarded = admin_sdk.deactivate_user(bob.public_id)
    assert offboarded.user.status == "deactivated"
    assert offboarded.ended["api_keys_revoked"] == 1
    with Client(live_server.url, bobs_token, max_retries=0) as bobs_client, pytest.raises(Exception) as refused:
        list(bobs_client.list_users())
    assert type(refused.value).__name__ == "AuthenticationError"
    with pytest.raises(ConflictError):
        admin_sdk.deactivate_user(bob.public_id)
    assert admin_sdk.reactivate_user(bob.public_id).status == "active"
    detail = admin_sdk.get_user(bob.public_id)
    assert detail.keys and detail.keys[0]["revoked_at"] is not None

    admin_sdk.send_password_reset(bob.public_id)
    assert mail.outbox[-1].to == [bob.email]
    events = set(AuditEvent.objects.filter(api_key_id__startswith="key_").values_list("event_type", flat=True))
    assert {"user.invited", "user.invitation_resent", "user.invitation_revoked", "user.deactivated",
            "user.reactivated", "user.password_reset_sent"} <= events  # fmt: skip


def test_errors_are_typed(admin_sdk):
    with pytest.raises(ValidationError) as bad:
        admin_sdk.invite_user("not-an-address")
    assert "email" in bad.value.errors
    with pytest.raises(NotFoundError):
        admin_sdk.get_user("user_missing0000")
