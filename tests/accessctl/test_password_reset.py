"""Self-service password reset (a single-use e-mailed link that never signs in past MFA) and the account page:
change one's own password, remove one's authenticator app, regenerate backup codes; all audited."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from accessctl.models import UserSession
from audit.models import AuditEvent
from tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db
NEW_PASSWORD = "violet-harbour-lantern-77"


def _reset_path(message: mail.EmailMessage) -> str:
    match = re.search(r"https?://[^/\s]+(/password-reset/\S+)", str(message.body))
    assert match, message.body
    return match.group(1)


def _ask_for_reset(client, email: str, capture) -> None:
    with capture(execute=True):
        response = client.post("/password-reset/", {"email": email})
    assert response.status_code == 302 and response["Location"] == "/password-reset/sent"


def test_a_reset_link_sets_a_new_password_once_and_ends_every_session(client, bob, django_capture_on_commit_callbacks):
    from django.test import Client

    elsewhere = Client()
    elsewhere.post("/login/", {"username": "bob", "password": TEST_PASSWORD})
    assert UserSession.objects.filter(user=bob).count() == 1

    _ask_for_reset(client, bob.email.upper(), django_capture_on_commit_callbacks)
    assert [m.to for m in mail.outbox] == [[bob.email]]
    link = _reset_path(mail.outbox[0])
    assert link.startswith("/password-reset/link?u=")  # the token stays out of paths (and access logs)
    form = client.get(link, follow=True)
    assert "Choose a new password" in form.content.decode()
    set_url = form.redirect_chain[-1][0]
    assert set_url.endswith("/set-password") and link.split("t=")[1] not in set_url
    weak = client.post(set_url, {"new_password1": "bob", "new_password2": "bob"})
    assert "too short" in weak.content.decode()
    done = client.post(set_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done.status_code == 302 and done["Location"] == "/password-reset/done"

    bob.refresh_from_db()
    assert bob.check_password(NEW_PASSWORD)
    assert not UserSession.objects.filter(user=bob).exists()
    assert elsewhere.get("/").status_code == 302  # the other browser was signed out
    assert "_auth_user_id" not in client.session  # the reset itself signs nobody in
    reused = client.get(link, follow=True)
    assert "not valid" in reused.content.decode()
    requested = AuditEvent.objects.get(event_type="auth.password_reset.requested")
    completed = AuditEvent.objects.get(event_type="auth.password_reset.completed")
    assert requested.user_id == bob.public_id and completed.details == {"sessions_ended": 1}
    for event in (requested, completed):
        assert NEW_PASSWORD not in str(event.details) and link.split("/")[-1] not in str(event.details)


def test_an_unknown_address_gets_the_same_answer_and_no_mail(client, django_capture_on_commit_callbacks):
    _ask_for_reset(client, "nobody@example.org", django_capture_on_commit_callbacks)
    assert mail.outbox == []
    assert not AuditEvent.objects.filter(event_type="auth.password_reset.requested").exists()


def test_repeated_requests_stop_mailing_the_inbox(client, bob, django_capture_on_commit_callbacks):
    for _ in range(5):
        _ask_for_reset(client, bob.email, django_capture_on_commit_callbacks)
    assert len(mail.outbox) == 3  # RESETS_PER_INBOX a minute; the answer never changes


def test_a_deactivated_member_gets_no_link(client, acme, alice, bob, django_capture_on_commit_callbacks):
    from accessctl.actor import Actor
    from accessctl.offboarding import user_deactivate

    user_deactivate(actor=Actor(organization=acme, user=alice), user=bob)
    _ask_for_reset(client, bob.email, django_capture_on_commit_callbacks)
    assert mail.outbox == []


def test_a_reset_never_bypasses_mfa(client, bob, django_capture_on_commit_callbacks):
    device = TOTPDevice.objects.create(user=bob, name="phone", confirmed=True)
    _ask_for_reset(client, bob.email, django_capture_on_commit_callbacks)
    set_url = client.get(_reset_path(mail.outbox[0]), follow=True).redirect_chain[-1][0]
    client.post(set_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    signed = client.post("/login/", {"username": "bob", "password": NEW_PASSWORD})
    assert signed.status_code == 302
    assert client.get("/")["Location"].startswith("/login/mfa")
    assert TOTPDevice.objects.filter(pk=device.pk, confirmed=True).exists()


def test_changing_ones_password_keeps_this_session_and_ends_the_others(client, bob):
    from django.test import Client

    other = Client()
    other.post("/login/", {"username": "bob", "password": TEST_PASSWORD})
    client.post("/login/", {"username": "bob", "password": TEST_PASSWORD})
    wrong = client.post("/account/", {"form": "password", "old_password": "nope", "new_password1": NEW_PASSWORD,
                                      "new_password2": NEW_PASSWORD})  # fmt: skip
    assert wrong.status_code == 200 and "incorrectly" in wrong.content.decode()
    changed = client.post("/account/", {"form": "password", "old_password": TEST_PASSWORD,
                                        "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})  # fmt: skip
    assert changed.status_code == 302
    assert client.get("/account/").status_code == 200
    assert other.get("/").status_code == 302
    event = AuditEvent.objects.get(event_type="auth.password_changed")
    assert event.user_id == bob.public_id and event.details == {"other_sessions_ended": 1}


def _verified_client(client, user):
    """Sign in with password and a TOTP code; returns the device's key."""
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    client.post("/login/", {"username": user.username, "password": TEST_PASSWORD})
    totp = TOTP(device.bin_key)
    response = client.post("/login/mfa", {"code": f"{totp.token():06d}"})
    assert response.status_code == 302, response.content
    return device


def test_the_account_page_lists_devices_and_regenerates_backup_codes(client, bob):
    _verified_client(client, bob)
    page = client.get("/account/").content.decode()
    assert "phone" in page and 'data-testid="backup-codes-left">0<' in page
    regenerated = client.post("/account/mfa/backup-codes")
    codes = re.findall(r"<code>(\d{8})</code>", regenerated.content.decode())
    assert len(codes) == 10
    assert StaticDevice.objects.get(user=bob).token_set.count() == 10
    event = AuditEvent.objects.get(event_type="auth.mfa.backup_codes_regenerated")
    assert event.details == {"backup_codes": 10} and codes[0] not in str(event.details)


def test_removing_the_app_needs_the_current_password(client, bob):
    device = _verified_client(client, bob)
    client.post("/account/mfa/backup-codes")
    client.post(f"/account/mfa/devices/{device.pk}/remove", {"current_password": "wrong"})
    assert TOTPDevice.objects.filter(pk=device.pk).exists()
    assert AuditEvent.objects.filter(event_type="auth.mfa.removal_refused").exists()
    client.post(f"/account/mfa/devices/{device.pk}/remove", {"current_password": TEST_PASSWORD})
    assert not TOTPDevice.objects.filter(pk=device.pk).exists()
    assert not StaticDevice.objects.filter(user=bob).exists()
    assert AuditEvent.objects.get(event_type="auth.mfa.device_removed").resource_id == bob.public_id


def test_the_header_links_to_the_account_page(client, bob):
    client.post("/login/", {"username": "bob", "password": TEST_PASSWORD})
    assert 'href="/account/"' in client.get("/").content.decode()
