"""Session policy: idle timeout, concurrent-session limit, IP restrictions, trusted proxies, lockout."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from accessctl.ip_policy import client_ip
from accessctl.models import UserSession
from accessctl.security import settings_for
from audit.models import AuditEvent
from tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db


def sign_in(client: Client, username: str = "alice", **extra: Any) -> None:
    response = client.post("/login/", {"username": username, "password": TEST_PASSWORD}, **extra)
    assert response.status_code == 302, response.content.decode()[:500]


def test_idle_session_is_logged_out_after_the_configured_minutes(client, alice, acme):
    policy = settings_for(acme)
    policy.session_timeout_minutes = 15
    policy.save()
    sign_in(client)
    assert client.get("/").status_code == 200
    session = client.session
    session["last_activity"] = timezone.now().timestamp() - 14 * 60  # 14 idle minutes: still fine
    session.save()
    assert client.get("/").status_code == 200
    session = client.session
    session["last_activity"] = timezone.now().timestamp() - 16 * 60  # travel 16 idle minutes ahead
    session.save()
    response = client.get("/audit/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert client.get("/").status_code == 302  # really signed out
    expired = AuditEvent.objects.get(event_type="auth.session.expired")
    assert expired.user_id == alice.public_id and expired.details == {"reason": "idle_timeout"}


def test_idle_api_session_gets_401_problem(alice, acme):
    client = APIClient()
    sign_in(client)
    session = client.session
    session["last_activity"] = timezone.now().timestamp() - 31 * 60
    session.save()
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"


def test_second_sign_in_with_limit_one_ends_the_first(alice, acme):
    policy = settings_for(acme)
    policy.concurrent_sessions_limit = 1
    policy.save()
    first, second = Client(), Client()
    sign_in(first)
    assert first.get("/").status_code == 200
    sign_in(second)
    assert second.get("/").status_code == 200
    response = first.get("/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert UserSession.objects.filter(user=alice).count() == 1
    ended = AuditEvent.objects.get(event_type="auth.session.ended", details__contains="concurrent")
    assert ended.user_id == alice.public_id


def test_without_a_limit_sessions_coexist(alice, acme):
    first, second = Client(), Client()
    sign_in(first)
    sign_in(second)
    assert first.get("/").status_code == 200 and second.get("/").status_code == 200


def test_requests_from_outside_the_allowed_networks_get_403(client, alice, acme, api_client):
    policy = settings_for(acme)
    policy.ip_restrictions = ["10.0.0.0/8"]
    policy.save()
    sign_in(client, REMOTE_ADDR="10.0.0.5")
    assert client.get("/", REMOTE_ADDR="10.0.0.5").status_code == 200
    assert client.get("/", REMOTE_ADDR="192.0.2.1").status_code == 403
    api = client.get("/api/v1/me", REMOTE_ADDR="192.0.2.1")
    assert api.status_code == 403 and api["Content-Type"] == "application/problem+json"

    api_client.force_authenticate(alice)
    token = api_client.post("/api/v1/api-keys", {"name": "k"}, format="json", REMOTE_ADDR="10.0.0.5").json()["token"]
    keyed = APIClient()
    keyed.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert keyed.get("/api/v1/me", REMOTE_ADDR="10.9.9.9").status_code == 200
    refused = keyed.get("/api/v1/me", REMOTE_ADDR="192.0.2.1")
    assert refused.status_code == 403 and "allowed networks" in refused.json()["detail"]
    reasons = AuditEvent.objects.filter(event_type="access.denied", details__contains="ip_restriction")
    assert reasons.count() >= 3


def test_forwarded_for_is_ignored_unless_the_proxy_is_trusted(rf, settings):
    request = rf.get("/", REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="10.0.0.1")
    assert client_ip(request) == "203.0.113.9"
    from accessctl import ip_policy

    settings.TRUSTED_PROXIES = ["203.0.113.0/24"]
    ip_policy._trusted_proxies.cache_clear()
    try:
        spoofed = rf.get("/", REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="10.0.0.1, 198.51.100.4")
        assert client_ip(spoofed) == "198.51.100.4"  # the right-most hop the proxy saw, not what the client wrote
        only_proxies = rf.get("/", REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="203.0.113.7")
        assert client_ip(only_proxies) == "203.0.113.9"
    finally:
        settings.TRUSTED_PROXIES = []
        ip_policy._trusted_proxies.cache_clear()


def test_repeated_failures_lock_the_account_and_are_audited(client, alice):
    for _ in range(5):
        client.post("/login/", {"username": "alice", "password": "wrong"})
    response = client.post("/login/", {"username": "alice", "password": TEST_PASSWORD})
    assert response.status_code == 429
    assert "Too many failed sign-in attempts" in response.content.decode()
    assert client.get("/").status_code == 302
    lockouts = AuditEvent.objects.filter(event_type="auth.lockout")
    assert lockouts.exists()
    assert {(e.user_id, e.outcome) for e in lockouts} == {(alice.public_id, "denied")}
