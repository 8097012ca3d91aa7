"""The SDK's transport: configuration, typed errors, retries with backoff (no server: httpx mock transport)."""

from __future__ import annotations

import httpx
import pytest
from paitient_secure_model import AuthenticationError, Client, ConfigurationError, ValidationError
from paitient_secure_model.errors import RateLimitError, ServiceUnavailableError
from paitient_secure_model.security import AccessControlSettings, ComplianceSettings, SecuritySettings


def client_with(handler, **kwargs) -> Client:
    client = Client("https://paitient.test", "psk_x_y", http_transport=httpx.MockTransport(handler), **kwargs)
    client._transport.backoff_base = 0.001
    return client


def test_configuration_comes_from_the_environment(monkeypatch):
    monkeypatch.delenv("PAITIENT_BASE_URL", raising=False)
    monkeypatch.delenv("PAITIENT_API_KEY", raising=False)
    with pytest.raises(ConfigurationError, match="PAITIENT_BASE_URL"):
        Client()
    monkeypatch.setenv("PAITIENT_BASE_URL", "https://paitient.test")
    with pytest.raises(ConfigurationError, match="PAITIENT_API_KEY"):
        Client()


def test_settings_sent_on_construction_are_only_the_organisation_sections():
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append((request.method, request.url.path, request.headers["Authorization"], request.content))
        return httpx.Response(200, json={})

    client_with(
        handler,
        security_settings=SecuritySettings(
            compliance=ComplianceSettings(audit_logging=True, log_retention_days=365),
            access_control=AccessControlSettings(require_mfa=True, session_max_hours=8),
            phi_handling="redact",
        ),
    )
    ((method, path, auth, body),) = seen
    assert (method, path, auth) == ("PATCH", "/api/v1/organization/security-settings", "Bearer psk_x_y")
    assert httpx.Response(200, content=body).json() == {
        "compliance": {"audit_logging": True, "log_retention_days": 365},
        "access_control": {"require_mfa": True, "session_max_hours": 8},
    }


def test_retries_503_then_succeeds():
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        if len(calls) < 3:
            return httpx.Response(503, json={"status": 503, "detail": "busy"})
        return httpx.Response(200, json={"name": "r", "permissions": ["audit:read"], "resource_pattern": "*"})

    role = client_with(handler).create_role("r", ["audit:read"])
    assert role.name == "r" and len(calls) == 3


def test_gives_up_after_the_retries_with_a_typed_error():
    client = client_with(
        lambda request: httpx.Response(429, json={"status": 429, "detail": "slow down"}), max_retries=2
    )
    with pytest.raises(RateLimitError, match="slow down"):
        client.create_role("r", ["audit:read"])
    broken = client_with(lambda request: httpx.Response(500, json={"detail": "boom"}), max_retries=0)
    with pytest.raises(ServiceUnavailableError):
        broken.create_role("r", ["audit:read"])


def test_validation_errors_carry_the_fields_and_are_not_retried():
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        problem = {"status": 400, "detail": "Invalid input: permissions.", "errors": {"permissions": ["Unknown x"]}}
        return httpx.Response(400, json=problem)

    with pytest.raises(ValidationError) as raised:
        client_with(handler).create_role("r", ["x"])
    assert raised.value.errors == {"permissions": ["Unknown x"]} and raised.value.status == 400
    assert len(calls) == 1


def test_authentication_failure_is_typed():
    client = client_with(lambda request: httpx.Response(401, json={"status": 401, "detail": "Invalid API key."}))
    with pytest.raises(AuthenticationError):
        client.assign_role("user_1", "auditor")


def test_audit_logs_follow_every_page():
    pages = {
        "/api/v1/audit-logs": {
            "results": [{"id": "evt_1", "event_type": "a.b"}],
            "next": "/api/v1/audit-logs?cursor=2",
        },
    }

    def handler(request: httpx.Request) -> httpx.Response:
        if "cursor" in str(request.url):
            return httpx.Response(200, json={"results": [{"id": "evt_2", "event_type": "c.d"}], "next": None})
        assert request.url.params.get_list("event_type") == ["a.b", "c.d"]
        return httpx.Response(200, json=pages[request.url.path])

    logs = client_with(handler).get_audit_logs(filter={"event_type": ["a.b", "c.d"]})
    assert [log.id for log in logs] == ["evt_1", "evt_2"]
