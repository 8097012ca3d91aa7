"""Signing in with password + passkey: what verifies the session, and every assertion that must not."""

from __future__ import annotations

from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

from audit.models import AuditEvent
from tests.passkeys.authenticator import SoftAuthenticator, b64url
from tests.passkeys.conftest import (
    SIGN_IN_BEGIN,
    SIGN_IN_COMPLETE,
    enrol,
    post_json,
    require_mfa,
    sign_in,
    verify,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def enrolled(acme, alice, laptop) -> Client:
    """Alice's organisation requires MFA; she enrolled `laptop` earlier and has just signed in again with her
    password, so the session waits at the MFA step."""
    require_mfa(acme)
    first = Client(HTTP_HOST="localhost")
    sign_in(first, "alice")
    enrol(first, laptop, "Laptop")
    console = Client(HTTP_HOST="localhost")
    sign_in(console, "alice")
    return console


def failures(user) -> list[dict[str, Any]]:
    return [e.details for e in AuditEvent.objects.filter(event_type="auth.mfa.failed", user_id=user.public_id)]


def test_password_then_passkey_reaches_the_console(enrolled, alice, laptop):
    assert enrolled.get("/")["Location"] == "/login/mfa?next=%2F"
    page = enrolled.get("/login/mfa?next=%2F").content.decode()
    assert "Use a passkey" in page and "data-passkey-verify" in page and "passkeys/passkeys.js" in page

    options = post_json(enrolled, SIGN_IN_BEGIN, {}).json()
    assert options["rpId"] == "localhost"
    assert [c["id"] for c in options["allowCredentials"]] == [b64url(laptop.credential_id)]
    credential = laptop.sign(options)
    response = post_json(enrolled, SIGN_IN_COMPLETE, {"credential": credential, "next": "/audit/"})

    assert response.status_code == 200 and response.json() == {"redirect_url": "/audit/"}
    assert enrolled.get("/").status_code == 200
    passkey = WebAuthnCredential.objects.get(user=alice)
    assert passkey.sign_count == laptop.sign_count == 1 and passkey.last_used_at is not None
    event = AuditEvent.objects.get(event_type="auth.mfa.succeeded", user_id=alice.public_id)
    assert event.details == {"device": "passkey", "passkey": passkey.pk}
    assert credential["response"]["signature"] not in str(event.details)


def test_an_unsafe_next_goes_to_the_dashboard(enrolled, laptop):
    options = post_json(enrolled, SIGN_IN_BEGIN, {}).json()
    response = post_json(
        enrolled, SIGN_IN_COMPLETE, {"credential": laptop.sign(options), "next": "https://evil.example/"}
    )
    assert response.json() == {"redirect_url": "/"}


def test_a_counter_that_did_not_go_up_is_refused_as_a_possible_clone(enrolled, alice, laptop):
    assert verify(enrolled, laptop).status_code == 200
    other = Client(HTTP_HOST="localhost")
    sign_in(other, "alice")
    response = verify(other, laptop, count=False)  # the same counter value again: a copy of the key
    assert response.status_code == 403 and response.json()["type"].endswith("/sign_count_not_increased")
    assert other.get("/")["Location"].startswith("/login/mfa")
    assert failures(alice) == [{"device": "passkey", "reason": "sign_count_not_increased"}]
    assert WebAuthnCredential.objects.get(user=alice).sign_count == 1


@pytest.mark.parametrize(
    ("signing", "code"),
    [
        ({"origin": "https://paitient-login.example"}, "invalid_authentication_response"),
        ({"rp_id": "paitient-login.example"}, "invalid_authentication_response"),
        ({"key": ec.generate_private_key(ec.SECP256R1())}, "invalid_authentication_response"),
    ],
    ids=["phishing-origin", "other-rp-id", "wrong-key"],
)
def test_a_forged_or_relayed_assertion_is_refused_and_audited(enrolled, alice, laptop, signing, code):
    response = verify(enrolled, laptop, **signing)
    assert response.status_code == 422 and response.json()["type"].endswith(f"/{code}")
    assert list(response.json()["errors"]) == ["credential"]
    assert enrolled.get("/")["Location"].startswith("/login/mfa")
    assert failures(alice) == [{"device": "passkey", "reason": code}]


def test_a_removed_passkey_is_refused(enrolled, alice, laptop):
    TOTPDevice.objects.create(user=alice, name="Authenticator app", confirmed=True)  # so the step still opens
    options = post_json(enrolled, SIGN_IN_BEGIN, {}).json()
    WebAuthnCredential.objects.filter(user=alice).delete()  # removed (from another session) meanwhile
    response = post_json(enrolled, SIGN_IN_COMPLETE, {"credential": laptop.sign(options)})
    assert response.status_code == 404 and response.json()["type"].endswith("/credential_not_found")
    assert failures(alice) == [{"device": "passkey", "reason": "credential_not_found"}]
    assert post_json(enrolled, SIGN_IN_BEGIN, {}).json()["type"].endswith("/no_passkey")


def test_someone_elses_passkey_is_refused(enrolled, alice, bob):
    bobs_key = SoftAuthenticator()
    bobs = Client(HTTP_HOST="localhost")
    sign_in(bobs, "bob")
    enrol(bobs, bobs_key, "Bob's key")
    options = post_json(enrolled, SIGN_IN_BEGIN, {}).json()
    response = post_json(enrolled, SIGN_IN_COMPLETE, {"credential": bobs_key.sign(options)})
    assert response.status_code == 403 and response.json()["type"].endswith("/credential_user_mismatch")
    assert enrolled.get("/")["Location"].startswith("/login/mfa")


def test_an_assertion_counts_once(enrolled, laptop):
    options = post_json(enrolled, SIGN_IN_BEGIN, {}).json()
    credential = laptop.sign(options)
    assert post_json(enrolled, SIGN_IN_COMPLETE, {"credential": credential}).status_code == 200
    replay = Client(HTTP_HOST="localhost")
    sign_in(replay, "alice")
    assert post_json(replay, SIGN_IN_COMPLETE, {"credential": credential}).json()["type"].endswith("/invalid_state")
    post_json(replay, SIGN_IN_BEGIN, {})  # a fresh challenge does not match the old response
    assert post_json(replay, SIGN_IN_COMPLETE, {"credential": credential}).status_code == 422
    assert replay.get("/")["Location"].startswith("/login/mfa")


@pytest.mark.parametrize("credential", ["junk", {"id": "x"}, {"id": "x", "rawId": "x", "response": {}}, None])
def test_a_malformed_assertion_is_a_field_error(enrolled, credential):
    post_json(enrolled, SIGN_IN_BEGIN, {})
    response = post_json(enrolled, SIGN_IN_COMPLETE, {"credential": credential})
    assert response.status_code in (400, 422) and list(response.json()["errors"]) == ["credential"]


def test_the_ceremony_needs_the_password_step_first(enrolled):
    anonymous = Client(HTTP_HOST="localhost")
    assert post_json(anonymous, SIGN_IN_BEGIN, {}).status_code == 401
    assert post_json(anonymous, SIGN_IN_COMPLETE, {"credential": None}).status_code == 401


def test_a_user_without_a_passkey_is_told_to_use_a_code(console, acme, bob):
    TOTPDevice.objects.create(user=bob, name="Authenticator app", confirmed=True)
    sign_in(console, "bob")
    response = post_json(console, SIGN_IN_BEGIN, {})
    assert response.status_code == 400 and response.json()["type"].endswith("/no_passkey")
    assert "Use a passkey" not in console.get("/login/mfa").content.decode()
