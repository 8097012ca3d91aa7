"""The Django admin: off by default, only from allow-listed networks, MFA for staff, no OTP secrets, audited."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit.models import AuditEvent
from encryption.models import OrganizationKey
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_the_admin_is_off_unless_the_operator_turns_it_on_for_their_network(client, settings):
    root = UserFactory.create(username="root", is_staff=True, is_superuser=True)
    client.force_login(root)
    assert client.get("/admin/").status_code == 404
    settings.PAITIENT_ADMIN_ENABLED = True
    assert client.get("/admin/", REMOTE_ADDR="203.0.113.9").status_code == 404  # outside PAITIENT_ADMIN_NETWORKS
    assert client.get("/admin/").status_code == 302  # from loopback: to the admin sign-in, MFA not passed


def test_otp_secrets_are_not_in_the_admin():
    assert not admin.site.is_registered(TOTPDevice)
    assert not admin.site.is_registered(StaticDevice)
    assert admin.site.is_registered(OrganizationKey)


def test_changes_made_in_the_admin_are_audited():
    root = UserFactory.create(username="root", is_staff=True, is_superuser=True)
    LogEntry.objects.create(
        user=root,
        content_type=ContentType.objects.get_for_model(root),
        object_id=str(root.pk),
        object_repr="root",
        action_flag=CHANGE,
    )
    event = AuditEvent.objects.get(event_type="admin.changed")
    assert event.details["model"] == "accessctl.user" and event.user_id == root.public_id
