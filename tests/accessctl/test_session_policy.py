"""Session policy: idle timeout (which polling does not reset), absolute lifetime, concurrent-session limit, IP
restrictions, trusted proxies, lockout."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from accessctl.models import UserSession
from accessctl.security import settings_for
from audit.models import AuditEvent
from core.network import client_ip
from tests.factories import TEST_PASSWORD, UserFactory

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
    from core import network as ip_policy

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


# --- polls are not activity; the absolute session lifetime ----------------------------------------------------

POLL = {"HTTP_HX_REQUEST": "true", "HTTP_X_POLL": "1", "HTTP_HX_CURRENT_URL": "http://testserver/"}


def travel(client: Client, seconds: float) -> None:
    """Move the session `seconds` into the future: its idle clock and its age both grow by that much."""
    session = client.session
    for key in ("last_activity", "signed_in_at"):
        if key in session:
            session[key] -= seconds
    session.save()


def test_polling_does_not_keep_an_idle_session_alive(client, alice, acme):
    policy = settings_for(acme)
    policy.session_timeout_minutes = 15
    policy.save()
    sign_in(client)
    assert client.get("/").status_code == 200
    for _ in range(3):  # the open tab polls (the dashboard's health panel, the emergency inbox) unattended
        travel(client, 4 * 60)
        assert client.get("/dashboard/health", **POLL).status_code == 200
        assert client.get("/emergency/inbox", **POLL).status_code == 200
    travel(client, 4 * 60)  # 16 minutes since the person last did anything
    expired = client.get("/emergency/inbox", **POLL)
    # htmx would follow a 302 inside its XHR and swap the sign-in page into the panel: the page goes instead.
    assert expired.status_code == 200 and "Location" not in expired
    assert expired["HX-Redirect"] == "/login/?next=%2F"
    assert client.get("/").status_code == 302  # really signed out
    event = AuditEvent.objects.get(event_type="auth.session.expired")
    assert event.user_id == alice.public_id and event.details == {"reason": "idle_timeout"}


def test_what_the_person_does_still_counts_as_activity(client, alice, acme):
    policy = settings_for(acme)
    policy.session_timeout_minutes = 15
    policy.save()
    sign_in(client)
    travel(client, 10 * 60)
    # A click that loads a fragment is an htmx request too, but carries no poll marker.
    assert client.get("/dashboard/health", HTTP_HX_REQUEST="true").status_code == 200
    travel(client, 10 * 60)
    client.post("/dashboard/health", **POLL)  # only a read can be a poll: a write is the person's doing
    travel(client, 10 * 60)
    assert client.get("/").status_code == 200
    assert not AuditEvent.objects.filter(event_type="auth.session.expired").exists()


def test_a_first_poll_starts_the_idle_clock(client, alice, acme):
    sign_in(client)
    session = client.session
    del session["last_activity"]
    session.save()
    assert client.get("/dashboard/health", **POLL).status_code == 200
    assert "last_activity" in client.session  # a session with no activity on record still times out


def test_every_polling_element_marks_its_requests_as_polls():
    from pathlib import Path

    from django.conf import settings

    tags = []
    for template in Path(settings.BASE_DIR, "templates").rglob("*.html"):
        tags += re.findall(r"<[^<>]*\bhx-trigger=\"[^\"]*\bevery\b[^<>]*>", template.read_text(), re.DOTALL)
    assert len(tags) >= 10
    unmarked = [tag for tag in tags if """hx-headers='{"X-Poll": "1"}'""" not in tag]
    assert unmarked == [], "a poll without the marker keeps idle sessions alive (accessctl.middleware.POLL_HEADER)"


def test_a_session_ends_after_its_lifetime_however_active(client, alice, acme):
    sign_in(client)
    session = client.session
    signed_in_at = session["signed_in_at"]
    session["signed_in_at"] = signed_in_at - 12 * 3600 + 60  # active all day, a minute of its 12 hours left
    session.save()
    assert client.get("/").status_code == 200
    session = client.session
    session["signed_in_at"] = signed_in_at - 12 * 3600 - 1
    session.save()
    response = client.get("/audit/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert client.get("/").status_code == 302
    event = AuditEvent.objects.get(event_type="auth.session.expired")
    assert event.user_id == alice.public_id and event.details == {"reason": "max_lifetime", "max_hours": 12}


def test_the_organisation_may_shorten_the_lifetime_and_polls_are_refused_after_it(client, alice, acme):
    policy = settings_for(acme)
    policy.session_max_hours = 2
    policy.save()
    sign_in(client)
    session = client.session
    session["signed_in_at"] -= 2 * 3600 + 1
    session.save()
    response = client.get("/emergency/inbox", **{**POLL, "HTTP_HX_CURRENT_URL": "http://testserver/emergency/"})
    assert response["HX-Redirect"] == "/login/?next=%2Femergency%2F"
    assert AuditEvent.objects.get(event_type="auth.session.expired").details["max_hours"] == 2


def test_an_api_call_after_the_lifetime_gets_401(alice, acme):
    client = APIClient()
    sign_in(client)
    session = client.session
    session["signed_in_at"] -= 12 * 3600 + 1
    session.save()
    response = client.get("/api/v1/me")
    assert response.status_code == 401 and response["Content-Type"] == "application/problem+json"


def test_a_session_from_before_the_lifetime_existed_is_as_old_as_its_sign_in(client, alice, acme):
    sign_in(client)
    session = client.session
    del session["signed_in_at"]
    session.save()
    assert client.get("/").status_code == 200
    UserSession.objects.filter(user=alice).update(created_at=timezone.now() - timedelta(hours=12, seconds=1))
    assert client.get("/").status_code == 302
    assert AuditEvent.objects.get(event_type="auth.session.expired").details["reason"] == "max_lifetime"


def test_a_session_without_an_organisation_gets_the_default_lifetime(client):
    operator = UserFactory.create(username="operator", is_staff=True, is_superuser=True)
    client.force_login(operator)
    assert client.get("/").status_code == 403  # signed in, but a member of no organisation
    session = client.session
    session["signed_in_at"] -= 12 * 3600 + 1
    session.save()
    response = client.get("/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    event = AuditEvent.objects.get(event_type="auth.session.expired")
    assert event.user_id == operator.public_id and event.details["reason"] == "max_lifetime"


def test_the_lifetime_is_a_security_setting(api_client, client, alice, acme):
    api_client.force_authenticate(alice)
    url = "/api/v1/organization/security-settings"
    assert api_client.get(url).json()["access_control"]["session_max_hours"] == 12
    for refused in (0, 25):
        response = api_client.patch(url, {"access_control": {"session_max_hours": refused}}, format="json")
        assert response.status_code == 400 and "access_control.session_max_hours" in response.json()["errors"]
    response = api_client.patch(url, {"access_control": {"session_max_hours": 8}}, format="json")
    assert response.status_code == 200 and response.json()["access_control"]["session_max_hours"] == 8
    change = AuditEvent.objects.get(event_type="settings.changed")
    assert change.details == {"before": {"session_max_hours": 12}, "after": {"session_max_hours": 8}}

    client.force_login(alice)
    form = {"session_timeout_minutes": "30", "session_max_hours": "25", "concurrent_sessions_limit": "0"}
    assert "session_max_hours" in client.get("/settings/security").content.decode()
    assert client.post("/settings/security", form).status_code == 200  # the form again, with the error
    assert settings_for(acme).session_max_hours == 8
    assert client.post("/settings/security", {**form, "session_max_hours": "4"}).status_code == 302
    assert settings_for(acme).session_max_hours == 4
