"""The `emergency_access` section of the organisation's security settings (the seed's shape)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from accessctl.models import Role
from audit.services import record
from core.errors import FieldError
from emergency.models import EmergencyAccessPolicy

if TYPE_CHECKING:
    from accessctl.actor import Actor
    from accessctl.models import Organization

LIMITS = {
    "access_duration_hours": (1, 72),
    "approvals_required": (2, 10),
    "request_ttl_hours": (1, 168),
}


@dataclass(frozen=True)
class EmergencyChanges:
    enabled: bool | None = None
    authorized_roles: list[str] | None = None
    require_multi_approval: bool | None = None
    access_duration_hours: int | None = None
    approvals_required: int | None = None
    request_ttl_hours: int | None = None


def emergency_document(organization: Organization) -> dict[str, Any]:
    policy = EmergencyAccessPolicy.objects.filter(organization=organization).first() or EmergencyAccessPolicy()
    return {
        "enabled": policy.enabled,
        "authorized_roles": list(policy.authorized_roles),
        "require_multi_approval": policy.require_multi_approval,
        "approvals_required": policy.approvals_needed,
        "access_duration_hours": policy.access_duration_hours,
        "request_ttl_hours": policy.request_ttl_hours,
    }


def emergency_policy_update(*, actor: Actor, changes: EmergencyChanges) -> EmergencyAccessPolicy:
    """Validate and apply (in the caller's transaction); audited as `settings.changed`."""
    for name, (low, high) in LIMITS.items():
        value = getattr(changes, name)
        if value is not None and not low <= value <= high:
            raise FieldError(f"emergency_access.{name}", f"Must be between {low} and {high}.")
    if changes.authorized_roles is not None:
        known = set(Role.objects.filter(organization=actor.organization).values_list("name", flat=True))
        unknown = sorted(set(changes.authorized_roles) - known)
        if unknown:
            raise FieldError("emergency_access.authorized_roles", f"No such role: {', '.join(unknown)}.")
    policy = EmergencyAccessPolicy.objects.select_for_update().get_or_create(organization=actor.organization)[0]
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for name in ("enabled", "authorized_roles", "require_multi_approval", "access_duration_hours",
                 "approvals_required", "request_ttl_hours"):  # fmt: skip
        value = getattr(changes, name)
        if name == "authorized_roles" and value is not None:
            value = list(dict.fromkeys(value))
        if value is not None and value != getattr(policy, name):
            before[name], after[name] = getattr(policy, name), value
            setattr(policy, name, value)
    if policy.enabled and not policy.authorized_roles:
        raise FieldError("emergency_access.authorized_roles", "Name the roles whose members may request access.")
    policy.save()
    if after:
        record(actor=actor, event_type="settings.changed", resource=f"emergency-access/{actor.organization.slug}",
               details={"section": "emergency_access", "before": before, "after": after})  # fmt: skip
    return policy


def emergency_settings_update(actor: Actor, data: dict[str, Any]) -> EmergencyAccessPolicy:
    """The security settings' `emergency_access` section of a request (validated by its serializer)."""
    return emergency_policy_update(actor=actor, changes=EmergencyChanges(**data))
