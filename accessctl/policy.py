"""The permission registry, built-in roles and the one policy check: deny unless a role grants it."""

from __future__ import annotations

from fnmatch import fnmatchcase
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from accessctl.actor import Actor

PERMISSIONS: dict[str, str] = {
    "model:read": "See the model catalog",
    "deployment:read": "See deployments",
    "deployment:create": "Create deployments",
    "deployment:update": "Change deployments",
    "deployment:delete": "Stop and delete deployments",
    "text:generate": "Send prompts to a deployment",
    "audit:read": "Query the audit log",
    "audit:export": "Export and verify the audit log",
    "audit:manage": "Set retention and legal holds",
    "report:generate": "Generate compliance reports",
    "report:read": "Download compliance reports",
    "role:manage": "Create roles and assign them",
    "settings:manage": "Change organisation security and compliance settings",
    "baa:read": "See Business Associate Agreements and the compliance checklist",
    "baa:manage": "Manage Business Associate Agreements and checklist evidence",
    "emergency:request": "Request emergency (break-glass) access",
    "emergency:approve": "Approve emergency access requests",
    "incident:manage": "Manage security incidents and breach assessments",
    "phi_scan:run": "Run PHI scans on uploaded files",
}

BUILTIN_ROLES: dict[str, tuple[str, list[str]]] = {
    "org-admin": ("Everything in the organisation", sorted(PERMISSIONS)),
    "security-admin": (
        "Access control, keys, audit and incidents",
        [
            "audit:read",
            "audit:export",
            "audit:manage",
            "baa:read",
            "deployment:read",
            "emergency:approve",
            "emergency:request",
            "incident:manage",
            "model:read",
            "role:manage",
            "settings:manage",
        ],
    ),
    "compliance-officer": (
        "BAAs, reports, audit and incidents",
        [
            "audit:read",
            "audit:export",
            "baa:manage",
            "baa:read",
            "deployment:read",
            "emergency:approve",
            "emergency:request",
            "incident:manage",
            "model:read",
            "report:generate",
            "report:read",
        ],
    ),
    "auditor": (
        "Read-only access to the audit trail and reports",
        ["audit:read", "audit:export", "baa:read", "report:read"],
    ),
}


class PolicyDenied(Exception):
    """The actor lacks `permission` on `resource`; the message names both, never data."""

    def __init__(self, permission: str, resource: str) -> None:
        super().__init__(f"missing permission {permission} on {resource}")
        self.permission = permission
        self.resource = resource


def unknown_permissions(permissions: list[str]) -> list[str]:
    return [p for p in permissions if p not in PERMISSIONS]


def organization_resource(actor: Actor) -> str:
    return f"organization/{actor.organization.slug}"


def is_allowed(actor: Actor, permission: str, resource: str) -> bool:
    """Deny by default: allowed only when one of the actor's roles grants `permission` on `resource`."""
    if permission not in PERMISSIONS:
        return False
    from accessctl.selectors import roles_for_actor

    if any(
        permission in role.permissions and fnmatchcase(resource, role.resource_pattern)
        for role in roles_for_actor(actor)
    ):
        return True
    if actor.user is None or (actor.api_key is not None and actor.api_key.role_id is not None):
        return False  # a key narrowed to one role never gains more, even under an emergency grant
    from emergency.grants import active_grant_for

    grant = active_grant_for(actor, permission, resource)
    if grant is None:
        return False
    if grant not in actor.break_glass:
        actor.break_glass.append(grant)
    return True


def authorize(actor: Actor, permission: str, resource: str) -> None:
    """Raise PolicyDenied unless allowed; a refusal is written to the audit log as `denied`."""
    if is_allowed(actor, permission, resource):
        return
    from audit.services import record

    record(
        actor=actor,
        event_type="access.denied",
        resource=resource,
        outcome="denied",
        details={"permission": permission},
    )
    raise PolicyDenied(permission, resource)
