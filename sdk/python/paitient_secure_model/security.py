"""Security settings as the service's documentation shows them; `to_dict()` gives the REST shape."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any


def _compact(value: Any) -> Any:
    if isinstance(value, _Settings):
        return value.to_dict()
    if isinstance(value, dict):
        return {k: _compact(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [_compact(v) for v in value]
    return value


class _Settings:
    def to_dict(self) -> dict[str, Any]:
        """Only the settings that were given: the server keeps the rest as they are."""
        return {f.name: _compact(getattr(self, f.name)) for f in fields(self) if getattr(self, f.name) is not None}  # type: ignore[arg-type]


@dataclass
class ComplianceSettings(_Settings):
    hipaa: bool | None = None
    audit_logging: bool | None = None
    log_retention_days: int | None = None
    phi_detection: bool | None = None


@dataclass
class AccessControlSettings(_Settings):
    require_mfa: bool | None = None
    session_timeout_minutes: int | None = None
    concurrent_sessions_limit: int | None = None
    ip_restrictions: list[str] | None = None
    session_max_hours: int | None = None  # absolute session lifetime, 1-24 (default 12)


@dataclass
class SecuritySettings(_Settings):
    """Organisation-level parts (compliance, access_control, transmission_security, emergency_access) are
    applied when passed to `Client(...)`; request-level parts (PHI handling, network isolation, private
    endpoints, encryption level) go with the call they are passed to."""

    compliance: ComplianceSettings | None = None
    access_control: AccessControlSettings | None = None
    transmission_security: dict[str, bool] | None = None
    emergency_access: dict[str, Any] | None = None
    network_isolation: bool | None = None
    private_endpoints: bool | None = None
    encryption_level: str | None = None
    phi_detection: bool | None = None
    phi_redaction: bool | None = None
    phi_handling: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    ORGANIZATION_SECTIONS = ("compliance", "access_control", "transmission_security", "emergency_access")

    def organization_settings(self) -> dict[str, Any]:
        data = self.to_dict()
        return {name: data[name] for name in self.ORGANIZATION_SECTIONS if name in data}

    def request_settings(self) -> dict[str, Any]:
        data = self.to_dict()
        data.pop("extra", None)
        return {k: v for k, v in data.items() if k not in self.ORGANIZATION_SECTIONS} | dict(self.extra)
