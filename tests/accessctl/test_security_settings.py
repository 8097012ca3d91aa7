"""Security settings over REST and in the console: the seed's shapes, validation, lock-out safety, audit."""

from __future__ import annotations

import pytest

from accessctl.security import settings_for
from audit.models import AuditEvent, AuditPolicy

pytestmark = pytest.mark.django_db

URL = "/api/v1/organization/security-settings"
SEED_ACCESS = {
    "access_control": {
        "require_mfa": True,
        "session_timeout_minutes": 15,
        "concurrent_sessions_limit": 1,
        "ip_restrictions": ["10.0.0.0/8"],
    }
}


def test_get_returns_the_seed_shape_with_safe_defaults(api_client, alice):
    api_client.force_authenticate(alice)
    body = api_client.get(URL).json()
    assert body["access_control"] == {
        "require_mfa": False,
        "session_timeout_minutes": 30,
        "session_max_hours": 12,
        "concurrent_sessions_limit": 0,
        "ip_restrictions": [],
    }
    assert body["transmission_security"] == {"enforce_tls_1_2_plus": True, "secure_ciphers_only": True,
                                             "hsts_enabled": True}  # fmt: skip
    assert body["compliance"] == {"hipaa": False, "audit_logging": True, "log_retention_days": 365,
                                  "phi_detection": True}  # fmt: skip


def test_seed_access_control_sample_applies_from_inside_the_allowed_network(api_client, alice, acme):
    api_client.force_authenticate(alice)
    response = api_client.patch(URL, SEED_ACCESS, format="json", REMOTE_ADDR="10.1.2.3")
    assert response.status_code == 200, response.json()
    assert response.json()["access_control"] == {**SEED_ACCESS["access_control"], "session_max_hours": 12}
    current = settings_for(acme)
    assert (current.require_mfa, current.session_timeout_minutes, current.concurrent_sessions_limit) == (True, 15, 1)
    change = AuditEvent.objects.get(event_type="settings.changed", resource="security-settings/acme-health")
    assert change.details["after"]["ip_restrictions"] == ["10.0.0.0/8"]
    assert change.details["before"]["require_mfa"] is False


def test_saving_networks_that_exclude_yourself_is_refused(api_client, alice, acme):
    api_client.force_authenticate(alice)
    response = api_client.patch(URL, SEED_ACCESS, format="json", REMOTE_ADDR="192.0.2.7")
    assert response.status_code == 400
    assert "lock you out" in response.json()["errors"]["access_control.ip_restrictions"][0]
    assert settings_for(acme).ip_restrictions == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"access_control": {"ip_restrictions": ["10.0.0.0/33"]}}, "access_control.ip_restrictions"),
        ({"access_control": {"ip_restrictions": ["not-an-ip"]}}, "access_control.ip_restrictions"),
        ({"access_control": {"session_timeout_minutes": 0}}, "access_control.session_timeout_minutes"),
        ({"access_control": {"session_max_hours": 0}}, "access_control.session_max_hours"),
        ({"access_control": {"session_max_hours": 25}}, "access_control.session_max_hours"),
        ({"access_control": {"concurrent_sessions_limit": -1}}, "access_control.concurrent_sessions_limit"),
        ({"access_control": {"require_mfa": "sometimes"}}, "access_control.require_mfa"),
        ({"access_control": {"require_mfa_please": True}}, "access_control.require_mfa_please"),
        ({"transmission_security": {"enforce_tls_1_2_plus": False}}, "transmission_security.enforce_tls_1_2_plus"),
        ({"transmission_security": {"secure_ciphers_only": False}}, "transmission_security.secure_ciphers_only"),
        ({"compliance": {"audit_logging": False}}, "compliance.audit_logging"),
        ({"compliance": {"log_retention_days": 1}}, "compliance.log_retention_days"),
        ({"firewall": {}}, "firewall"),
    ],
)
def test_bad_settings_get_400_naming_the_field_and_change_nothing(api_client, alice, acme, body, field):
    api_client.force_authenticate(alice)
    response = api_client.patch(URL, body, format="json")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert field in response.json()["errors"], response.json()
    assert not AuditEvent.objects.filter(event_type="settings.changed").exists()


def test_ipv6_networks_are_accepted_and_normalised(api_client, alice, acme):
    api_client.force_authenticate(alice)
    body = {"access_control": {"ip_restrictions": ["2001:DB8::/32", "127.0.0.1"]}}
    response = api_client.patch(URL, body, format="json", REMOTE_ADDR="127.0.0.1")
    assert response.status_code == 200
    assert settings_for(acme).ip_restrictions == ["2001:db8::/32", "127.0.0.1/32"]


def test_log_retention_goes_to_the_audit_policy(api_client, alice, acme):
    api_client.force_authenticate(alice)
    response = api_client.patch(URL, {"compliance": {"log_retention_days": 2190, "audit_logging": True}}, format="json")
    assert response.status_code == 200
    assert AuditPolicy.objects.get(organization=acme).log_retention_days == 2190


def test_settings_need_settings_manage(api_client, bob):
    api_client.force_authenticate(bob)
    assert api_client.get(URL).status_code == 403
    assert api_client.patch(URL, {"access_control": {"require_mfa": True}}, format="json").status_code == 403


def test_console_form_shows_errors_inline(client, alice, acme):
    client.force_login(alice)
    response = client.post(
        "/settings/security",
        {
            "session_timeout_minutes": "15",
            "session_max_hours": "12",
            "concurrent_sessions_limit": "1",
            "ip_restrictions": "10.0.0.0/8",
        },
    )
    assert response.status_code == 200
    assert "lock you out" in response.content.decode()
    response = client.post(
        "/settings/security",
        {
            "session_timeout_minutes": "15",
            "session_max_hours": "12",
            "concurrent_sessions_limit": "1",
            "ip_restrictions": "127.0.0.0/8",
        },
    )
    assert response.status_code == 302
    assert settings_for(acme).ip_restrictions == ["127.0.0.0/8"]


def test_hsts_is_sent_over_https_when_enabled_and_not_when_disabled(client, alice, acme):
    client.force_login(alice)
    secure = client.get("/", secure=True)
    assert secure["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert "Strict-Transport-Security" not in client.get("/", secure=False)
    policy = settings_for(acme)
    policy.hsts_enabled = False
    policy.save()
    assert "Strict-Transport-Security" not in client.get("/", secure=True)
