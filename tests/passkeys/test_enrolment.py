"""Enrolling a passkey: named, verified by py_webauthn for this site's RP ID and origin only, audited without
secret material, and refused (with the field named) for bad input."""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

from audit.models import AuditEvent
from tests.passkeys.authenticator import SoftAuthenticator, b64url
from tests.passkeys.conftest import REGISTER_BEGIN, REGISTER_COMPLETE, enrol, post_json, require_mfa, sign_in

pytestmark = pytest.mark.django_db


def event_text(event: AuditEvent) -> str:
    return json.dumps({f.name: str(getattr(event, f.name)) for f in event._meta.fields})


def test_alice_enrols_a_named_passkey_which_satisfies_required_mfa(console, acme, alice, laptop):
    require_mfa(acme)
    sign_in(console, "alice")
    assert console.get("/")["Location"].startswith("/login/mfa")

    options = post_json(console, REGISTER_BEGIN, {"name": "  Work   laptop "}).json()
    assert options["rp"] == {"id": "localhost", "name": "PaiTIENT"}
    assert options["authenticatorSelection"]["residentKey"] == "preferred"
    assert options["excludeCredentials"] == []
    assert "alice" not in options["user"]["id"] and str(alice.pk) != options["user"]["id"]  # an opaque handle
    completed = post_json(console, REGISTER_COMPLETE, {"credential": laptop.register(options)})

    assert completed.status_code == 200
    body = completed.json()
    passkey = WebAuthnCredential.objects.get(user=alice)
    assert body["passkey"] == {"id": passkey.pk, "name": "Work laptop"}
    assert passkey.confirmed and passkey.public_key == laptop.cose_public_key()
    assert len(body["backup_codes"]) == 10 and all(re.fullmatch(r"\d{8}", c) for c in body["backup_codes"])
    assert console.get("/").status_code == 200, "the new passkey verified the session; MFA is satisfied"

    event = AuditEvent.objects.get(event_type="auth.mfa.enrolled", user_id=alice.public_id)
    assert event.details == {"device": "passkey", "passkey": passkey.pk, "backup_codes": 10}
    assert event.resource_id == alice.public_id and event.actor_id == alice.public_id
    text = event_text(event)
    for secret in (b64url(laptop.credential_id), laptop.credential_id.hex(), passkey.public_key.hex(), "Work laptop"):
        assert secret not in text
    for code in body["backup_codes"]:
        assert code not in text


def test_a_second_passkey_keeps_the_backup_codes_and_excludes_the_first(console, alice, laptop):
    sign_in(console, "alice")
    codes = enrol(console, laptop, "Laptop")["backup_codes"]
    options = post_json(console, REGISTER_BEGIN, {"name": "Security key"}).json()
    assert [c["id"] for c in options["excludeCredentials"]] == [b64url(laptop.credential_id)]
    second = post_json(console, REGISTER_COMPLETE, {"credential": SoftAuthenticator().register(options)})
    assert second.json()["backup_codes"] == [] and len(codes) == 10
    assert sorted(WebAuthnCredential.objects.filter(user=alice).values_list("name", flat=True)) == [
        "Laptop",
        "Security key",
    ]


@pytest.mark.parametrize(
    ("name", "code"),
    [
        (None, "name_required"),
        ("", "name_required"),
        ("   ", "name_required"),
        (42, "name_required"),
        ("x" * 65, "name_too_long"),
        ("bad\x07name", "name_invalid"),
        ("zero\u200bwidth", "name_invalid"),
    ],
)
def test_a_bad_name_is_refused_naming_the_field(console, alice, name, code):
    sign_in(console, "alice")
    response = post_json(console, REGISTER_BEGIN, {"name": name})
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"].endswith(f"/{code}") and list(problem["errors"]) == ["name"]


def test_names_are_unique_per_user_ignoring_case(console, alice, laptop):
    sign_in(console, "alice")
    enrol(console, laptop, "Laptop")
    response = post_json(console, REGISTER_BEGIN, {"name": "LAPTOP"})
    assert response.status_code == 400 and response.json()["errors"] == {
        "name": ["You already have a passkey with this name."]
    }


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        ("not json", "application/json", 400),
        ("[1, 2]", "application/json", 400),
        ('{"name": "x"}', "text/plain", 415),
    ],
)
def test_a_malformed_request_is_a_problem_not_a_crash(console, alice, body, content_type, status):
    sign_in(console, "alice")
    response = console.post(REGISTER_BEGIN, data=body, content_type=content_type)
    assert response.status_code == status and response.json()["status"] == status


def test_signed_out_and_unverified_sessions_cannot_enrol(console, alice):
    anonymous = post_json(Client(HTTP_HOST="localhost"), REGISTER_BEGIN, {"name": "Key"})
    assert anonymous.status_code == 401
    TOTPDevice.objects.create(user=alice, name="Authenticator app", confirmed=True)
    sign_in(console, "alice")  # password only: the app's code was not given
    refused = post_json(console, REGISTER_BEGIN, {"name": "Thief's key"})
    assert refused.status_code == 403 and refused.json()["type"].endswith("/verify_first")
    assert console.get(REGISTER_BEGIN).status_code == 405


@pytest.mark.parametrize(
    ("credential", "code"),
    [
        ("junk", "invalid_json_structure"),
        ({"id": 1}, "invalid_json_structure"),
        (None, "invalid_json_structure"),
    ],
)
def test_a_malformed_credential_is_refused_naming_the_field(console, alice, credential, code):
    sign_in(console, "alice")
    post_json(console, REGISTER_BEGIN, {"name": "Key"})
    response = post_json(console, REGISTER_COMPLETE, {"credential": credential})
    assert response.status_code in (400, 422)
    assert response.json()["type"].endswith(f"/{code}") and list(response.json()["errors"]) == ["credential"]
    assert not WebAuthnCredential.objects.exists()


def test_completing_without_beginning_or_twice_is_refused(console, alice, laptop):
    sign_in(console, "alice")
    refused = post_json(console, REGISTER_COMPLETE, {"credential": laptop.register({"challenge": "AAAA"})})
    assert refused.status_code == 400 and refused.json()["type"].endswith("/invalid_state")
    options = post_json(console, REGISTER_BEGIN, {"name": "Key"}).json()
    credential = laptop.register(options)
    assert post_json(console, REGISTER_COMPLETE, {"credential": credential}).status_code == 200
    replay = post_json(console, REGISTER_COMPLETE, {"credential": credential})
    assert replay.status_code == 400 and replay.json()["type"].endswith("/invalid_state")


@pytest.mark.parametrize(
    "tampering",
    [
        {"origin": "https://paitient-login.example"},  # a look-alike site relaying the ceremony
        {"origin": "http://localhost:8080"},  # another port is another origin
        {"rp_id": "paitient-login.example"},  # the authenticator signed for another RP ID
    ],
)
def test_a_credential_for_another_origin_or_rp_id_is_refused_and_audited(console, alice, laptop, tampering):
    sign_in(console, "alice")
    options = post_json(console, REGISTER_BEGIN, {"name": "Key"}).json()
    response = post_json(console, REGISTER_COMPLETE, {"credential": laptop.register(options, **tampering)})
    assert response.status_code == 422
    assert response.json()["type"].endswith("/invalid_registration_response")
    assert not WebAuthnCredential.objects.exists()
    event = AuditEvent.objects.get(event_type="auth.mfa.enrolment_failed", user_id=alice.public_id)
    assert event.outcome == "denied"
    assert event.details == {"device": "passkey", "reason": "invalid_registration_response"}


def test_a_credential_registered_to_someone_else_is_refused(console, alice, bob, laptop):
    sign_in(console, "alice")
    enrol(console, laptop, "Laptop")
    bobs = Client(HTTP_HOST="localhost")
    sign_in(bobs, "bob")
    options = post_json(bobs, REGISTER_BEGIN, {"name": "Borrowed"}).json()
    response = post_json(bobs, REGISTER_COMPLETE, {"credential": laptop.register(options)})
    assert response.status_code == 400 and response.json()["type"].endswith("/already_registered")
    assert WebAuthnCredential.objects.get().user == alice


def test_the_rp_id_is_the_host_name_never_an_address(alice):
    by_address = Client(HTTP_HOST="127.0.0.1")
    sign_in(by_address, "alice")
    response = post_json(by_address, REGISTER_BEGIN, {"name": "Key"})
    assert response.status_code == 400 and response.json()["type"].endswith("/host_is_an_address")


def test_a_pinned_rp_id_refuses_other_hosts_and_plain_http(settings, alice):
    settings.PASSKEY_RP_ID = "console.example.org"
    settings.ALLOWED_HOSTS = ["localhost", "console.example.org", "eu.console.example.org"]
    elsewhere = Client(HTTP_HOST="localhost")
    sign_in(elsewhere, "alice")
    assert post_json(elsewhere, REGISTER_BEGIN, {"name": "Key"}).json()["type"].endswith("/wrong_host")

    plain = Client(HTTP_HOST="console.example.org")
    sign_in(plain, "alice")
    refused = post_json(plain, REGISTER_BEGIN, {"name": "Key"})
    assert refused.status_code == 400 and refused.json()["type"].endswith("/insecure_origin")

    secure = Client(HTTP_HOST="eu.console.example.org")
    sign_in(secure, "alice")
    options = secure.post(REGISTER_BEGIN, data='{"name": "Key"}', content_type="application/json", secure=True)
    assert options.json()["rp"]["id"] == "console.example.org"
    authenticator = SoftAuthenticator(rp_id="console.example.org", origin="https://eu.console.example.org")
    completed = secure.post(
        REGISTER_COMPLETE,
        data=json.dumps({"credential": authenticator.register(options.json())}),
        content_type="application/json",
        secure=True,
    )
    assert completed.status_code == 200
