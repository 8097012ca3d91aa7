"""Managing one's own passkeys from the account page (list, rename, remove: each audited), how passkeys show in
the people directory, and backup codes for a passkey-only account."""

from __future__ import annotations

import pytest
from django.test import Client
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential
from rest_framework.test import APIClient

from audit.models import AuditEvent
from tests.factories import TEST_PASSWORD
from tests.passkeys.authenticator import SoftAuthenticator
from tests.passkeys.conftest import enrol, sign_in, verify

pytestmark = pytest.mark.django_db


@pytest.fixture
def with_passkey(console, alice, laptop) -> WebAuthnCredential:
    """Alice signed in and enrolled `laptop` as "Laptop" (so her session is verified)."""
    sign_in(console, "alice")
    enrol(console, laptop, "Laptop")
    return WebAuthnCredential.objects.get(user=alice)


def events(user, event_type: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(event_type=event_type, user_id=user.public_id))


def test_the_account_page_lists_passkeys_and_offers_to_add_one(console, with_passkey):
    page = console.get("/account/").content.decode()
    assert "<strong>Laptop</strong>" in page
    assert f'href="/account/passkeys/{with_passkey.pk}/rename"' in page
    assert "data-passkey-enrol" in page and "phishing-resistant" in page
    assert "Regenerate backup codes" in page  # a passkey is a second factor the codes back up


def test_rename_shows_all_errors_on_the_form_and_audits_the_change(console, alice, with_passkey):
    enrol(console, SoftAuthenticator(), "Security key")
    url = f"/account/passkeys/{with_passkey.pk}/rename"
    assert 'value="Laptop"' in console.get(url).content.decode()

    for name, error in [("", "This field is required."), ("x" * 65, "at most 64"), ("security KEY", "already have")]:
        response = console.post(url, {"name": name})
        assert response.status_code == 200 and error in response.content.decode(), name
    assert WebAuthnCredential.objects.get(pk=with_passkey.pk).name == "Laptop"

    response = console.post(url, {"name": "Work laptop"})
    assert response.status_code == 302 and response["Location"] == "/account/"
    assert WebAuthnCredential.objects.get(pk=with_passkey.pk).name == "Work laptop"
    [event] = events(alice, "auth.mfa.device_renamed")
    assert event.details == {"device": "passkey", "passkey": with_passkey.pk} and event.actor_id == alice.public_id


def test_nobody_renames_or_removes_another_users_passkey(console, alice, bob, with_passkey):
    bobs = Client(HTTP_HOST="localhost")
    sign_in(bobs, "bob")
    assert bobs.post(f"/account/passkeys/{with_passkey.pk}/rename", {"name": "Mine"})["Location"] == "/account/"
    bobs.post(f"/account/passkeys/{with_passkey.pk}/remove", {"current_password": TEST_PASSWORD})
    assert WebAuthnCredential.objects.get(pk=with_passkey.pk).name == "Laptop"
    assert not events(bob, "auth.mfa.device_renamed") and not events(bob, "auth.mfa.device_removed")


def test_removing_needs_the_current_password(console, alice, with_passkey):
    url = f"/account/passkeys/{with_passkey.pk}/remove"
    response = console.post(url, {"current_password": "hunter2-guess"}, follow=True)
    assert "The current password is wrong; the passkey was kept." in response.content.decode()
    assert WebAuthnCredential.objects.filter(pk=with_passkey.pk).exists()
    [refused] = events(alice, "auth.mfa.removal_refused")
    assert refused.details == {"device": "passkey", "reason": "wrong_password"} and refused.outcome == "denied"
    assert "hunter2-guess" not in str(refused.details)


def test_removing_the_last_factor_drops_the_backup_codes_too(console, alice, with_passkey):
    assert StaticToken.objects.filter(device__user=alice).count() == 10
    response = console.post(f"/account/passkeys/{with_passkey.pk}/remove", {"current_password": TEST_PASSWORD})
    assert response["Location"] == "/account/"
    assert not WebAuthnCredential.objects.filter(user=alice).exists()
    assert not StaticDevice.objects.filter(user=alice).exists()
    [removed] = events(alice, "auth.mfa.device_removed")
    assert removed.details == {"device": "passkey", "passkey": with_passkey.pk}


def test_backup_codes_stay_while_an_authenticator_app_remains(console, alice, with_passkey):
    TOTPDevice.objects.create(user=alice, name="Authenticator app", confirmed=True)
    console.post(f"/account/passkeys/{with_passkey.pk}/remove", {"current_password": TEST_PASSWORD})
    assert StaticToken.objects.filter(device__user=alice).count() == 10


def test_an_unverified_session_cannot_remove_a_passkey(acme, alice, with_passkey):
    later = Client(HTTP_HOST="localhost")
    sign_in(later, "alice")  # password only
    response = later.post(f"/account/passkeys/{with_passkey.pk}/remove", {"current_password": TEST_PASSWORD})
    assert response["Location"].startswith("/login/mfa")
    assert WebAuthnCredential.objects.filter(pk=with_passkey.pk).exists()


def test_removing_the_authenticator_app_keeps_the_codes_of_a_passkey_user(console, alice, with_passkey):
    app = TOTPDevice.objects.create(user=alice, name="Authenticator app", confirmed=True)
    console.post(f"/account/mfa/devices/{app.pk}/remove", {"current_password": TEST_PASSWORD})
    assert not TOTPDevice.objects.filter(user=alice).exists()
    assert StaticToken.objects.filter(device__user=alice).count() == 10


def test_a_passkey_only_user_regenerates_backup_codes(console, alice, with_passkey):
    response = console.post("/account/mfa/backup-codes")
    assert response.status_code == 200 and response.content.decode().count("<li><code>") == 10
    assert events(alice, "auth.mfa.backup_codes_regenerated")


def test_the_directory_shows_passkey_as_an_mfa_method(console, alice, bob, laptop, with_passkey):
    api = APIClient()
    api.force_authenticate(alice)
    rows = {row["username"]: row for row in api.get("/api/v1/users").json()["results"]}
    assert rows["alice"]["mfa"] == {
        "enrolled": True,
        "methods": ["passkey", "backup_codes"],
        "required_by_policy": False,
    }
    assert rows["bob"]["mfa"]["enrolled"] is False


def test_the_setup_page_offers_a_passkey_instead_of_an_app(console, acme, bob):
    sign_in(console, "bob")
    page = console.get("/account/mfa").content.decode()
    assert "Or use a passkey" in page and "data-passkey-enrol" in page
    assert 'data-done-url="/"' in page


def test_a_verified_passkey_session_passes_the_gate_of_a_later_sign_in(console, acme, alice, laptop, with_passkey):
    later = Client(HTTP_HOST="localhost")
    sign_in(later, "alice")
    assert later.get("/")["Location"].startswith("/login/mfa")  # an enrolled device is always asked for
    assert verify(later, laptop).status_code == 200
    assert later.get("/account/").status_code == 200


def test_a_passkey_counts_as_mfa_on_the_compliance_checklist(console, acme, alice, with_passkey):
    api = APIClient()
    api.force_authenticate(alice)
    checklist = {item["key"]: item for item in api.get("/api/v1/compliance/checklist").json()["items"]}
    facts = checklist["access_controls"]["facts"]
    assert facts["members_with_mfa"] == 1 and facts["members_with_passkey"] == 1
    assert "members_without_mfa" not in facts
