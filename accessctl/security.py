"""An organisation's security settings: read, validate and change them (audited, lock-out safe)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from django.db import transaction

from accessctl.extensions import SETTINGS_SECTIONS, record, retention
from accessctl.models import SecuritySettings
from core.errors import FieldError
from core.network import InvalidNetwork, ip_allowed, parse_networks

if TYPE_CHECKING:
    from accessctl.actor import Actor
    from accessctl.models import Organization

MAX_SESSION_TIMEOUT_MINUTES = 24 * 60
MAX_SESSION_HOURS = 24  # the absolute session lifetime may be shortened from the default 12 hours, or raised to this
MAX_IP_RULES = 100


class SettingsError(FieldError):
    """A setting was refused; `field` is its dotted path in the request."""


_CACHE = "_paitient_security_settings"


def settings_for(organization: Organization) -> SecuritySettings:
    found, _ = SecuritySettings.objects.get_or_create(organization=organization)
    return found


def request_settings_for(organization: Organization) -> SecuritySettings:
    """`settings_for`, read once per organisation instance: the request's actor carries one instance from
    authentication to the gateway, so the hot path reads the settings once. `security_settings_update`
    drops the cached copy."""
    cached: SecuritySettings | None = organization.__dict__.get(_CACHE)
    if cached is None:
        cached = settings_for(organization)
        organization.__dict__[_CACHE] = cached
    return cached


def security_settings_document(organization: Organization) -> dict[str, Any]:
    """The seed's SecuritySettings shape, with what this server enforces regardless of settings."""
    current = settings_for(organization)
    sections = {name: section.document(organization) for name, section in SETTINGS_SECTIONS.items()}
    return {
        **sections,
        "access_control": {
            "require_mfa": current.require_mfa,
            "session_timeout_minutes": current.session_timeout_minutes,
            "session_max_hours": current.session_max_hours,
            "concurrent_sessions_limit": current.concurrent_sessions_limit,
            "ip_restrictions": list(current.ip_restrictions),
        },
        "transmission_security": {
            "enforce_tls_1_2_plus": True,
            "secure_ciphers_only": True,
            "hsts_enabled": current.hsts_enabled,
        },
        "compliance": {
            "hipaa": current.hipaa_mode,
            "audit_logging": True,
            "log_retention_days": retention().days(organization),
            "phi_detection": current.phi_detection,
        },
    }


@dataclass(frozen=True)
class AccessChanges:
    require_mfa: bool | None = None
    session_timeout_minutes: int | None = None
    session_max_hours: int | None = None
    concurrent_sessions_limit: int | None = None
    ip_restrictions: list[str] | None = None
    hsts_enabled: bool | None = None
    log_retention_days: int | None = None
    hipaa: bool | None = None
    phi_detection: bool | None = None


# What HIPAA mode forces on (164.312(d) person authentication; 164.312(b)/(c) PHI safeguards), with the field
# a request would use to turn each off and why it may not while HIPAA mode is on.
HIPAA_FORCED = {
    "require_mfa": ("access_control.require_mfa", "multi-factor authentication for every user (164.312(d))"),
    "phi_detection": ("compliance.phi_detection", "PHI detection on every prompt and answer (164.312(b), (c))"),
}


def hipaa_mode(organization: Organization) -> bool:
    return settings_for(organization).hipaa_mode


def _validate_hipaa(changes: AccessChanges, current: SecuritySettings) -> None:
    hipaa_after = current.hipaa_mode if changes.hipaa is None else changes.hipaa
    if not hipaa_after:
        return
    for attribute, (field, what) in HIPAA_FORCED.items():
        if getattr(changes, attribute) is False:
            raise SettingsError(field, f"HIPAA mode requires {what}; turn HIPAA mode off first.")


def _validate(changes: AccessChanges, client_address: str | None) -> None:
    timeout = changes.session_timeout_minutes
    if timeout is not None and not 1 <= timeout <= MAX_SESSION_TIMEOUT_MINUTES:
        raise SettingsError(
            "access_control.session_timeout_minutes", f"Must be between 1 and {MAX_SESSION_TIMEOUT_MINUTES}."
        )
    max_hours = changes.session_max_hours
    if max_hours is not None and not 1 <= max_hours <= MAX_SESSION_HOURS:
        raise SettingsError("access_control.session_max_hours", f"Must be between 1 and {MAX_SESSION_HOURS}.")
    limit = changes.concurrent_sessions_limit
    if limit is not None and not 0 <= limit <= 100:
        raise SettingsError("access_control.concurrent_sessions_limit", "Must be between 0 (no limit) and 100.")
    if changes.ip_restrictions is not None:
        if len(changes.ip_restrictions) > MAX_IP_RULES:
            raise SettingsError("access_control.ip_restrictions", f"At most {MAX_IP_RULES} networks.")
        try:
            parse_networks(changes.ip_restrictions)
        except InvalidNetwork as exc:
            raise SettingsError("access_control.ip_restrictions", str(exc)) from None
        if not ip_allowed(client_address, changes.ip_restrictions):
            raise SettingsError(
                "access_control.ip_restrictions",
                f"These networks do not include your own address ({client_address}); saving them would lock you out.",
            )
    days = changes.log_retention_days
    limits = retention()
    if days is not None and not limits.minimum_days <= days <= limits.maximum_days:
        raise SettingsError(
            "compliance.log_retention_days", f"Must be between {limits.minimum_days} and {limits.maximum_days}."
        )


@transaction.atomic
def security_settings_update(*, actor: Actor, changes: AccessChanges) -> SecuritySettings:
    _validate(changes, actor.ip)
    actor.organization.__dict__.pop(_CACHE, None)
    current = SecuritySettings.objects.select_for_update().get_or_create(organization=actor.organization)[0]
    _validate_hipaa(changes, current)
    if changes.hipaa:  # turning HIPAA mode on (or keeping it on) forces its controls
        changes = replace(changes, require_mfa=True, phi_detection=True)
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    fields = (
        "require_mfa",
        "session_timeout_minutes",
        "session_max_hours",
        "concurrent_sessions_limit",
        "hsts_enabled",
        "phi_detection",
    )
    if changes.hipaa is not None and changes.hipaa != current.hipaa_mode:
        before["hipaa_mode"], after["hipaa_mode"] = current.hipaa_mode, changes.hipaa
        current.hipaa_mode = changes.hipaa
    for field in fields:
        value = getattr(changes, field)
        if value is not None and value != getattr(current, field):
            before[field], after[field] = getattr(current, field), value
            setattr(current, field, value)
    if changes.ip_restrictions is not None:
        normalised = [str(network) for network in parse_networks(changes.ip_restrictions)]
        if normalised != current.ip_restrictions:
            before["ip_restrictions"], after["ip_restrictions"] = current.ip_restrictions, normalised
            current.ip_restrictions = normalised
    current.save()
    if "hipaa_mode" in after:
        record(
            actor=actor,
            event_type="compliance.hipaa_mode." + ("enabled" if current.hipaa_mode else "disabled"),
            resource=f"security-settings/{actor.organization.slug}",
            details={"forced": sorted(HIPAA_FORCED) if current.hipaa_mode else []},
        )
    if after:
        record(
            actor=actor,
            event_type="settings.changed",
            resource=f"security-settings/{actor.organization.slug}",
            details={"before": before, "after": after},
        )
    if changes.log_retention_days is not None:
        log_retention = retention()
        if log_retention.days(actor.organization) != changes.log_retention_days:
            log_retention.update(actor, changes.log_retention_days)
    return current


def retention_offer(organization: Organization) -> dict[str, Any] | None:
    """In HIPAA mode with audit retention under six years: the offer to raise it (the API's `offers`, the console's
    note). Accepting it is an ordinary `compliance.log_retention_days` change (audited, `audit:manage`)."""
    limits = retention()
    days = limits.days(organization)
    if not settings_for(organization).hipaa_mode or days >= limits.hipaa_days:
        return None
    return {
        "field": "compliance.log_retention_days",
        "current": days,
        "offered": limits.hipaa_days,
        "reason": f"HIPAA mode: keep audit logs six years ({limits.hipaa_days:,} days, 45 CFR 164.316(b)(2)); the "
        "checklist's Audit Logging item fails below it.",
    }
