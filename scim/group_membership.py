"""Changing a SCIM Group (a role): its members through PATCH or PUT, as Okta and Entra ID send them, and its
`externalId`. Every assignment is checked as accessctl's `role_assign` checks it (no self-assignment, nothing
beyond what the token's issuer could grant) and audited as role.assigned / role.unassigned. A PATCH applies
all its operations or none (RFC 7644 §3.5.2)."""

from __future__ import annotations

import re
from typing import Any

from django.db import transaction

from accessctl.extensions import record
from accessctl.models import Role, RoleAssignment, User
from accessctl.policy import PolicyDenied, authorize, refuse_grant, require_grantable
from accessctl.services import LastAdminError, role_unassign
from scim.models import ScimGroup
from scim.protocol import ScimError
from scim.tokens import ScimActor
from scim.users import member_queryset

_MEMBER_FILTER = re.compile(r'^members\[\s*value\s+eq\s+"(?P<id>[^"]+)"\s*\]$', re.I)


def scim_group_patch(*, actor: ScimActor, role: Role, operations: list[Any]) -> None:
    """Apply PatchOp operations on `members` and `externalId`. A refusal's audit event, rolled back with the
    operations, is written again after the rollback."""
    authorize(actor, "role:manage", f"role/{role.name}")
    try:
        with transaction.atomic():
            for operation in operations:
                _apply(actor, role, operation)
    except (PolicyDenied, LastAdminError) as exc:
        reason = getattr(exc, "reason", "last_admin" if isinstance(exc, LastAdminError) else "")
        record(
            actor=actor,
            event_type="access.denied",
            resource=f"role/{role.name}",
            outcome="denied",
            details={"permission": getattr(exc, "permission", "role:manage"), "reason": reason, "via": "scim"},
        )
        raise


def scim_group_replace(*, actor: ScimActor, role: Role, body: dict[str, Any]) -> None:
    """PUT: the members become exactly those listed, the externalId what is given; the name cannot change."""
    name = body.get("displayName")
    if name is not None and name != role.name:
        raise ScimError(400, "displayName: a role's name cannot change.", "mutability")
    scim_group_patch(actor=actor, role=role, operations=[
        {"op": "replace", "path": "members", "value": body.get("members") or []},
        {"op": "replace", "path": "externalId", "value": body.get("externalId") or ""},
    ])  # fmt: skip


def _apply(actor: ScimActor, role: Role, operation: Any) -> None:
    if not isinstance(operation, dict):
        raise ScimError(400, "Operations: each operation is an object.", "invalidSyntax")
    op = str(operation.get("op", "")).lower()
    if op not in ("add", "remove", "replace"):
        raise ScimError(400, "op: must be add, remove or replace.", "invalidSyntax")
    path = str(operation.get("path") or "")
    value = operation.get("value")
    if not path:
        if op == "remove" or not isinstance(value, dict):
            raise ScimError(400, "value: without a path, the value is an object of attributes.", "noTarget")
        for key, item in value.items():
            _change(actor, role, op, str(key), item)
        return
    single = _MEMBER_FILTER.match(path)
    if single is not None and op == "remove":
        _unassign(actor, role, [single["id"]])
        return
    _change(actor, role, op, path, value)


def _change(actor: ScimActor, role: Role, op: str, path: str, value: Any) -> None:
    name = path.lower().removeprefix("urn:ietf:params:scim:schemas:core:2.0:group:")
    if name == "displayname":
        if op == "remove" or value != role.name:
            raise ScimError(400, "displayName: a role's name cannot change.", "mutability")
    elif name == "externalid":
        _link(actor, role, "" if op == "remove" else value)
    elif name == "members":
        users = _members_in(actor, value)
        if op == "add":
            for user in users:
                _assign(actor, user, role)
        elif op == "remove" and value is not None:
            _unassign(actor, role, [user.public_id for user in users])
        else:  # replace, or remove of every member
            keep = {user.pk for user in users}
            holders = RoleAssignment.objects.filter(organization=actor.organization, role=role).select_related("user")
            _unassign(actor, role, [a.user.public_id for a in holders if a.user_id not in keep])
            for user in users:
                _assign(actor, user, role)
    else:
        raise ScimError(400, f"path: {path[:60]} is not a Group attribute that can change.", "invalidPath")


def _link(actor: ScimActor, role: Role, external_id: Any) -> None:
    if not isinstance(external_id, str) or len(external_id) > 200:
        raise ScimError(400, "externalId: a string of at most 200 characters.", "invalidValue")
    ScimGroup.objects.update_or_create(organization=actor.organization, role=role,
                                       defaults={"external_id": external_id.strip()})  # fmt: skip


def _members_in(actor: ScimActor, value: Any) -> list[User]:
    if value is None:
        return []
    if not isinstance(value, list):
        value = [value]
    users = []
    for item in value:
        if not isinstance(item, dict) or not isinstance(item.get("value"), str):
            raise ScimError(400, "members: each member is an object with a value (the User id).", "invalidValue")
        membership = member_queryset(actor.organization).filter(user__public_id=item["value"]).first()
        if membership is None:
            raise ScimError(400, "members.value: no such User in this organisation.", "invalidValue")
        users.append(membership.user)
    return users


def _assign(actor: ScimActor, user: User, role: Role) -> None:
    """As `role_assign`, for a member in any state: an invited member's roles act once they accept (as an
    invitation's do), a deactivated member's if they are reactivated (offboarding keeps roles too)."""
    resource = f"role/{role.name}"
    if actor.user is not None and actor.user.pk == user.pk:
        refuse_grant(actor, "role:manage", resource, "self_assignment",
                     "A SCIM token cannot assign roles to the member who issued it.")  # fmt: skip
    require_grantable(actor, list(role.permissions), role.resource_pattern, resource)
    _, created = RoleAssignment.objects.get_or_create(organization=actor.organization, role=role, user=user)
    if created:
        record(actor=actor, event_type="role.assigned", resource=resource, resource_id=user.public_id,
               details={"user_id": user.public_id, "role": role.name, "via": "scim"})  # fmt: skip


def _unassign(actor: ScimActor, role: Role, user_ids: list[str]) -> None:
    for user in User.objects.filter(public_id__in=user_ids, role_assignments__role=role).distinct():
        role_unassign(actor=actor, user=user, role=role)
