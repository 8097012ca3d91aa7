"""What apps above accessctl plug into it when they load (their `AppConfig.ready()`): the audit log writer,
the emergency-grant lookup, the sections of the security settings they own, and what offboarding ends.

accessctl is the floor those apps build on, so it may not import them; they register here instead (the way
incidents registers a checklist check with compliance). Each hook fails closed: without the audit writer an
audited action raises, without a grant lookup no emergency grant exists."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest

if TYPE_CHECKING:
    from accessctl.actor import Actor
    from accessctl.models import Organization, User


class Recorder(Protocol):
    """`audit.services.record`'s signature."""

    def __call__(
        self,
        *,
        actor: Actor | None,
        event_type: str,
        resource: str = ...,
        resource_id: str = ...,
        outcome: str = ...,
        details: Mapping[str, Any] | None = ...,
        organization: Organization | None = ...,
        user: User | None = ...,
        request: HttpRequest | None = ...,
    ) -> object: ...


GrantLookup = Callable[["Actor", str, str], "str | None"]
# Ends what a deactivated member still holds in another app (pending break-glass requests, live grants), in
# the deactivation's transaction; returns {what: how many} for the offboarding checklist and audit event.
OffboardingStep = Callable[["Actor", "User"], dict[str, int]]


@dataclass(frozen=True)
class SettingsSection:
    """A top-level section of the security-settings document (e.g. `emergency_access`) that another app owns:
    `document` reads it, `update` validates and applies a request's changes in the caller's transaction."""

    document: Callable[[Organization], dict[str, Any]]
    update: Callable[[Actor, dict[str, Any]], object]


@dataclass(frozen=True)
class Retention:
    """The audit log's retention period, shown and changed as `compliance.log_retention_days`."""

    minimum_days: int
    maximum_days: int
    days: Callable[[Organization], int]
    update: Callable[[Actor, int], object]
    hipaa_days: int = 6 * 365  # what HIPAA mode asks (45 CFR 164.316(b)(2)); audit registers its own figure


_recorder: Recorder | None = None
_grant_lookup: GrantLookup | None = None
_retention: Retention | None = None
SETTINGS_SECTIONS: dict[str, SettingsSection] = {}
OFFBOARDING_STEPS: list[OffboardingStep] = []


def register_recorder(recorder: Recorder) -> None:
    global _recorder
    _recorder = recorder


def register_grant_lookup(lookup: GrantLookup) -> None:
    global _grant_lookup
    _grant_lookup = lookup


def register_retention(retention: Retention) -> None:
    global _retention
    _retention = retention


def register_settings_section(name: str, section: SettingsSection) -> None:
    SETTINGS_SECTIONS[name] = section


def register_offboarding_step(step: OffboardingStep) -> None:
    if step not in OFFBOARDING_STEPS:
        OFFBOARDING_STEPS.append(step)


def record(
    *,
    actor: Actor | None,
    event_type: str,
    resource: str = "",
    resource_id: str = "",
    outcome: str = "success",
    details: Mapping[str, Any] | None = None,
    organization: Organization | None = None,
    user: User | None = None,
    request: HttpRequest | None = None,
) -> object:
    """Write an audit event through the audit app's writer (same arguments as `audit.services.record`)."""
    if _recorder is None:
        raise ImproperlyConfigured("The audit app is not installed: accessctl cannot write its audit events.")
    return _recorder(
        actor=actor,
        event_type=event_type,
        resource=resource,
        resource_id=resource_id,
        outcome=outcome,
        details=details,
        organization=organization,
        user=user,
        request=request,
    )


def emergency_grant_for(actor: Actor, permission: str, resource: str) -> str | None:
    """The id of a live emergency grant covering `permission` on `resource`, or None (also when no app
    provides emergency grants)."""
    return _grant_lookup(actor, permission, resource) if _grant_lookup is not None else None


def retention() -> Retention:
    if _retention is None:
        raise ImproperlyConfigured("The audit app is not installed: no log retention to show or change.")
    return _retention
