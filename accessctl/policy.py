"""The permission registry, built-in roles and the one policy check: deny unless a role grants it."""

from __future__ import annotations

from fnmatch import fnmatchcase
from typing import TYPE_CHECKING

from accessctl.extensions import emergency_grant_for, record
from accessctl.selectors import roles_for_actor
from core.errors import Forbidden

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
    "user:read": "See the organisation's members and their e-mail addresses",
    "user:manage": "Invite, deactivate and reactivate members and send them password resets",
    "baa:read": "See Business Associate Agreements and the compliance checklist",
    "baa:manage": "Manage Business Associate Agreements and checklist evidence",
    "emergency:request": "Request emergency (break-glass) access",
    "emergency:approve": "Approve emergency access requests",
    "incident:manage": "Manage security incidents and breach assessments",
    "phi_scan:run": "Run PHI scans on uploaded files",
    "disclosure:read": "Search and export the accounting of disclosures of a patient's PHI",
    "phi:reidentify": "See de-identified answers with the patient's original identifiers restored (a PHI disclosure)",
    "access:review": "Run periodic access reviews: keep or revoke members' roles and API keys",
}

BUILTIN_ROLES: dict[str, tuple[str, list[str]]] = {
    "org-admin": ("Everything in the organisation", sorted(PERMISSIONS)),
    "security-admin": (
        "Access control, keys, audit and incidents",
        [
            "access:review",
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
            "user:manage",
            "user:read",
        ],
    ),
    "compliance-officer": (
        "BAAs, reports, audit and incidents",
        [
            "access:review",
            "audit:read",
            "audit:export",
            "baa:manage",
            "baa:read",
            "deployment:read",
            "disclosure:read",
            "emergency:approve",
            "emergency:request",
            "incident:manage",
            "model:read",
            "report:generate",
            "report:read",
            "user:read",
        ],
    ),
    "auditor": (
        "Read-only access to the audit trail and reports",
        ["audit:read", "audit:export", "baa:read", "report:read", "user:read"],
    ),
}


class PolicyDenied(Forbidden):
    """The actor lacks `permission` on `resource`; the message names both, never data."""

    def __init__(self, permission: str, resource: str) -> None:
        super().__init__(f"missing permission {permission} on {resource}")
        self.permission = permission
        self.resource = resource

    @property
    def problem_detail(self) -> str:
        return f"You lack the permission {self.permission} on {self.resource}."


class GrantDenied(PolicyDenied):
    """The actor tried to hand out more than they hold (a role, a key, an assignment), or to hand it to
    themselves; `reason` is a short code for the audit log, the message is safe to show."""

    def __init__(self, permission: str, resource: str, reason: str, message: str) -> None:
        super().__init__(permission, resource)
        self.args = (message,)
        self.reason = reason
        self.message = message

    @property
    def problem_detail(self) -> str:
        return self.message


ADMIN_ROLE = "org-admin"


def pattern_covers(held: str, wanted: str) -> bool:
    """A held resource glob covers every resource the wanted glob can match (conservatively: "*", the same
    glob, or a held "prefix*" that the wanted glob starts with and that has no other wildcard)."""
    if held == "*" or held == wanted:
        return True
    if held.endswith("*") and not any(ch in held[:-1] for ch in "*?["):
        return wanted.startswith(held[:-1])
    return False


def ungranted_permissions(actor: Actor | None, permissions: list[str], pattern: str) -> list[str]:
    """The permissions in `permissions` the actor's own roles (narrowed by its key) do not grant over all of
    `pattern`. Emergency grants never count: break-glass is for using data, not for handing out access.
    No actor (the operator's commands, system jobs) holds everything."""
    if actor is None:
        return []
    if actor.user is None:
        return sorted(set(permissions))

    roles = roles_for_actor(actor)
    return sorted(
        p
        for p in set(permissions)
        if not any(p in role.permissions and pattern_covers(role.resource_pattern, pattern) for role in roles)
    )


def refuse_grant(actor: Actor, permission: str, resource: str, reason: str, message: str) -> None:
    """Write the refusal (outside the caller's write transaction, so it stays) and raise GrantDenied."""
    record(
        actor=actor,
        event_type="access.denied",
        resource=resource,
        outcome="denied",
        details={"permission": permission, "reason": reason},
    )
    raise GrantDenied(permission, resource, reason, message)


def require_grantable(actor: Actor | None, permissions: list[str], pattern: str, resource: str) -> None:
    """Refuse (403, audited) handing out any permission the actor does not hold over `pattern`."""
    missing = ungranted_permissions(actor, permissions, pattern)
    if missing and actor is not None:
        refuse_grant(
            actor,
            missing[0],
            resource,
            "beyond_own_permissions",
            f"You cannot grant what you do not hold: {', '.join(missing)} on {pattern}.",
        )


def unknown_permissions(permissions: list[str]) -> list[str]:
    return [p for p in permissions if p not in PERMISSIONS]


def organization_resource(actor: Actor) -> str:
    return f"organization/{actor.organization.slug}"


def is_allowed(actor: Actor, permission: str, resource: str) -> bool:
    """Deny by default: allowed only when one of the actor's roles grants `permission` on `resource`."""
    if permission not in PERMISSIONS:
        return False

    if any(
        permission in role.permissions and fnmatchcase(resource, role.resource_pattern)
        for role in roles_for_actor(actor)
    ):
        return True
    if actor.user is None or (actor.api_key is not None and actor.api_key.role_id is not None):
        return False  # a key narrowed to one role never gains more, even under an emergency grant
    grant = emergency_grant_for(actor, permission, resource)
    if grant is None:
        return False
    if grant not in actor.break_glass:
        actor.break_glass.append(grant)
    return True


def authorize(actor: Actor, permission: str, resource: str) -> None:
    """Raise PolicyDenied unless allowed; a refusal is written to the audit log as `denied`."""
    if is_allowed(actor, permission, resource):
        return
    record(
        actor=actor,
        event_type="access.denied",
        resource=resource,
        outcome="denied",
        details={"permission": permission},
    )
    raise PolicyDenied(permission, resource)
