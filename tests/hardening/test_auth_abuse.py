"""Authentication abuse: brute force locks the account (whatever the username's case), a revoked or expired
API key stops working on the very next call, a disabled user's or ex-member's session ends, console forms
need their CSRF token, and every response carries the security headers."""

from __future__ import annotations

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from accessctl.api_keys import api_key_issue, api_key_revoke
from accessctl.models import ApiKey, Membership, UserSession
from accessctl.security import settings_for
from audit.models import AuditEvent
from tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db


def attempt(client: Client, username: str, password: str = "wrong password!") -> int:  # noqa: S107
    return client.post("/login/", {"username": username, "password": password}).status_code


def keyed_client(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


# --- brute force --------------------------------------------------------------------------------


def test_five_wrong_passwords_lock_the_account_even_with_the_right_one(client, alice):
    for _ in range(4):
        assert attempt(client, "alice") == 200  # the form again, with an error
    assert attempt(client, "alice") == 429
    assert attempt(client, "alice", TEST_PASSWORD) == 429
    assert client.get("/").status_code == 302  # not signed in
    lockouts = AuditEvent.objects.filter(event_type="auth.lockout")
    assert lockouts.exists()
    assert {(e.user_id, e.outcome, e.details["known_user"]) for e in lockouts} == {(alice.public_id, "denied", True)}


def test_varying_the_usernames_case_does_not_dodge_the_lockout(client, alice):
    for username in ("alice", "Alice", "ALICE", "aLiCe", "alicE"):
        attempt(client, username)
    assert attempt(client, "alice", TEST_PASSWORD) == 429
    assert attempt(client, "ALICE", TEST_PASSWORD) == 429
    assert client.get("/").status_code == 302
    assert set(AccessAttempt.objects.values_list("username", flat=True)) == {"alice"}
    lockouts = AuditEvent.objects.filter(event_type="auth.lockout")
    assert lockouts.exists() and {e.user_id for e in lockouts} == {alice.public_id}


def test_a_locked_out_user_signs_in_again_only_after_the_cool_off(client, alice, settings):
    for _ in range(5):
        attempt(client, "alice")
    assert attempt(client, "alice", TEST_PASSWORD) == 429
    almost = timezone.now() - timedelta(hours=settings.AXES_COOLOFF_TIME) + timedelta(minutes=1)
    AccessAttempt.objects.update(attempt_time=almost)
    assert attempt(client, "alice", TEST_PASSWORD) == 429  # a minute of cool-off left
    over = timezone.now() - timedelta(hours=settings.AXES_COOLOFF_TIME) - timedelta(seconds=1)
    AccessAttempt.objects.update(attempt_time=over)
    assert attempt(client, "alice", TEST_PASSWORD) == 302
    assert client.get("/").status_code == 200


def test_another_accounts_lockout_does_not_lock_alice(client, alice, bob):
    for _ in range(5):
        attempt(client, "bob")
    assert attempt(client, "bob", TEST_PASSWORD) == 429
    assert attempt(client, "alice", TEST_PASSWORD) == 302


# --- API keys -----------------------------------------------------------------------------------


def test_a_revoked_key_is_refused_on_the_next_call(acme, alice):
    key, token = api_key_issue(actor=None, organization=acme, user=alice, name="sdk")
    client = keyed_client(token)
    assert client.get("/api/v1/me").status_code == 200
    api_key_revoke(actor=None, key=key)  # type: ignore[arg-type]
    refused = client.get("/api/v1/me")
    assert refused.status_code == 401
    assert refused["Content-Type"] == "application/problem+json"
    assert "Bearer" in refused["WWW-Authenticate"]
    failures = AuditEvent.objects.filter(event_type="auth.api_key.failed")
    assert [e.details["prefix"] for e in failures] == [key.prefix]


def test_a_key_revoked_over_the_api_is_refused_at_once(acme, alice, api_client):
    api_client.force_authenticate(alice)
    issued = api_client.post("/api/v1/api-keys", {"name": "ci"}, format="json").json()
    client = keyed_client(issued["token"])
    assert client.get("/api/v1/deployments").status_code == 200
    assert api_client.delete(f"/api/v1/api-keys/{issued['id']}").status_code in {200, 204}
    assert client.get("/api/v1/deployments").status_code == 401


def test_an_expired_key_is_refused_the_moment_it_expires(acme, alice):
    key, token = api_key_issue(actor=None, organization=acme, user=alice, name="short",
                               expires_at=timezone.now() + timedelta(hours=1))  # fmt: skip
    client = keyed_client(token)
    assert client.get("/api/v1/me").status_code == 200
    ApiKey.objects.filter(pk=key.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert client.get("/api/v1/me").status_code == 401


def test_keys_of_a_disabled_user_or_an_ex_member_stop_working(acme, alice, bob):
    _, alice_token = api_key_issue(actor=None, organization=acme, user=alice, name="a")
    _, bob_token = api_key_issue(actor=None, organization=acme, user=bob, name="b")
    assert keyed_client(alice_token).get("/api/v1/me").status_code == 200
    assert keyed_client(bob_token).get("/api/v1/me").status_code == 200
    alice.is_active = False
    alice.save()
    Membership.objects.filter(user=bob).update(is_active=False)
    assert keyed_client(alice_token).get("/api/v1/me").status_code == 401
    assert keyed_client(bob_token).get("/api/v1/me").status_code == 401


# --- sessions -----------------------------------------------------------------------------------


def signed_in(username: str = "alice") -> Client:
    client = Client()
    assert attempt(client, username, TEST_PASSWORD) == 302
    assert client.get("/").status_code == 200
    return client


def test_a_disabled_users_console_session_ends_on_the_next_request(alice):
    client = signed_in()
    alice.is_active = False
    alice.save()
    response = client.get("/audit/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert client.get("/").status_code == 302


def test_a_disabled_users_api_session_is_refused(alice):
    client = signed_in()
    assert client.get("/api/v1/me").status_code == 200
    alice.is_active = False
    alice.save()
    assert client.get("/api/v1/me").status_code in {401, 403}


def test_an_ex_members_console_session_is_ended_and_audited(alice, acme):
    client = signed_in()
    Membership.objects.filter(user=alice, organization=acme).update(is_active=False)
    response = client.get("/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert client.get("/").status_code == 302  # really signed out, not just redirected once
    assert not UserSession.objects.filter(user=alice).exists()
    ended = AuditEvent.objects.get(event_type="auth.session.ended", user_id=alice.public_id)
    assert ended.details == {"reason": "membership_inactive"}


def test_an_ex_members_api_session_gets_a_401_problem(alice, acme):
    client = signed_in()
    assert client.get("/api/v1/me").status_code == 200
    Membership.objects.filter(user=alice, organization=acme).update(is_active=False)
    response = client.get("/api/v1/me")
    assert response.status_code in {401, 403}
    assert response["Content-Type"] == "application/problem+json"
    assert client.get("/api/v1/me").status_code in {401, 403}


# --- CSRF ---------------------------------------------------------------------------------------


def test_console_forms_refuse_a_post_without_the_csrf_token(alice, acme):
    client = Client(enforce_csrf_checks=True)
    assert client.post("/login/", {"username": "alice", "password": TEST_PASSWORD}).status_code == 403
    assert client.get("/").status_code == 302  # the refused sign-in did not sign in
    client.force_login(alice)
    before = settings_for(acme).session_timeout_minutes
    assert client.post("/settings/security", {"session_timeout_minutes": "15"}).status_code == 403
    assert client.post("/account/api-keys", {"name": "stolen"}).status_code == 403
    assert settings_for(acme).session_timeout_minutes == before
    assert not ApiKey.objects.exists()


def test_a_post_with_the_token_from_the_form_is_accepted(alice, acme):
    client = Client(enforce_csrf_checks=True)
    page = client.get("/login/")
    token = page.cookies["csrftoken"].value
    response = client.post("/login/", {"username": "alice", "password": TEST_PASSWORD, "csrfmiddlewaretoken": token})
    assert response.status_code == 302


def test_api_writes_over_a_session_need_the_csrf_token(alice):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(alice)
    response = client.post("/api/v1/api-keys", {"name": "stolen"}, format="json")
    assert response.status_code == 403 and "CSRF" in response.json()["detail"]
    assert not ApiKey.objects.exists()


# --- security headers ---------------------------------------------------------------------------


def assert_security_headers(response) -> None:
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"]
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert response["X-Frame-Options"] == "DENY"


def test_console_and_api_responses_carry_the_security_headers(alice, acme):
    anonymous = Client()
    for response in (anonymous.get("/login/"), anonymous.get("/api/v1/me"), anonymous.get("/no-such-page")):
        assert_security_headers(response)
    client = signed_in()
    for path in ("/", "/audit/", "/api/v1/me", "/api/v1/deployments"):
        assert_security_headers(client.get(path))
    _, token = api_key_issue(actor=None, organization=acme, user=alice, name="h")
    assert_security_headers(keyed_client(token).get("/api/v1/me"))
    assert_security_headers(keyed_client("psk_nope_nope").get("/api/v1/me"))


def test_refusals_by_the_access_policy_carry_the_security_headers_too(alice, acme):
    client = signed_in()
    policy = settings_for(acme)
    policy.ip_restrictions = ["10.0.0.0/8"]
    policy.save()
    for path in ("/", "/api/v1/me"):
        refused = client.get(path, REMOTE_ADDR="192.0.2.1")
        assert refused.status_code == 403
        assert_security_headers(refused)


def test_hsts_over_https_for_sessions_and_api_keys_when_enabled_and_never_when_disabled(alice, acme):
    expected = "max-age=31536000; includeSubDomains"
    client = signed_in()
    _, token = api_key_issue(actor=None, organization=acme, user=alice, name="h")
    keyed = keyed_client(token)
    assert client.get("/", secure=True)["Strict-Transport-Security"] == expected
    assert client.get("/api/v1/me", secure=True)["Strict-Transport-Security"] == expected
    assert keyed.get("/api/v1/me", secure=True)["Strict-Transport-Security"] == expected
    assert "Strict-Transport-Security" not in keyed.get("/api/v1/me", secure=False)
    policy = settings_for(acme)
    policy.hsts_enabled = False
    policy.save()
    for response in (client.get("/", secure=True), client.get("/api/v1/me", secure=True),
                     keyed.get("/api/v1/me", secure=True)):  # fmt: skip
        assert "Strict-Transport-Security" not in response


def test_platform_hsts_setting_covers_anonymous_pages(settings):
    assert "Strict-Transport-Security" not in Client().get("/login/", secure=True)  # SECURE_HSTS_SECONDS=0
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    client = Client()  # middleware reads the setting when it loads
    assert client.get("/login/", secure=True)["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert "Strict-Transport-Security" not in client.get("/login/", secure=False)
