"""SCIM Group resources (RFC 7643 §4.2) over the organisation's roles: a group is a role (`id` and
`displayName` are its name), its members are the role's holders. Membership changes go through accessctl's
role services (audited as role.assigned / role.unassigned, refused beyond what the token's issuer could grant)."""

from __future__ import annotations

import re
from typing import Any

from django.db import transaction

from accessctl.extensions import record
from accessctl.models import Membership, MemberStatus, Organization, Role, RoleAssignment, User
from accessctl.policy import PolicyDenied, refuse_grant, require_grantable
from accessctl.services import LastAdminError, _role_assign, role_create, role_unassign
from scim.protocol import Filter, ScimError
from scim.tokens import ScimActor
from scim.users import member_queryset

GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
GROUP_FILTERS = ("displayname", "id")
_MEMBER_FILTER = re.compile(r'^members\[\s*value\s+eq\s+"(?P<id>[^"]+)"\s*\]$', re.I)


def role_by_id(organization: Organization, group_id: str) -> Role:
    role = Role.objects.filter(organization=organization, name=group_id).first()
    if role is None:
        raise ScimError(404, "No such Group.")
    return role


def filtered_roles(organization: Organization, condition: Filter | None) -> list[Role]:
    roles = Role.objects.filter(organization=organization).order_by("name")
    if condition is None:
        return list(roles)
    if isinstance(condition.value, bool):
        raise ScimError(400, f"filter: {condition.attribute} compares with a string.", "invalidFilter")
    lookup = {"eq": "iexact", "sw": "istartswith", "co": "icontains"}[condition.operator]
    return list(roles.filter(**{f"name__{lookup}": condition.value}))


def group_resource(role: Role, members: list[User], base_url: str) -> dict[str, Any]:
    return {
        "schemas": [GROUP_SCHEMA],
        "id": role.name,
        "displayName": role.name,
        "members": [
            {
                "value": user.public_id,
                "display": user.username,
                "type": "User",
                "$ref": f"{base_url}/Users/{user.public_id}",
            }
            for user in members
        ],
        "meta": {
            "resourceType": "Group",
            "created": role.created_at.isoformat(),
            "lastModified": role.created_at.isoformat(),
            "location": f"{base_url}/Groups/{role.name}",
        },
    }


def members_of(organization: Organization, roles: list[Role]) -> dict[int, list[User]]:
    """The holders of each role whom SCIM may see (not deleted through SCIM)."""
    visible = member_queryset(organization).values("user_id")
    held: dict[int, list[User]] = {role.pk: [] for role in roles}
    assignments = RoleAssignment.objects.filter(organization=organization, role__in=roles, user_id__in=visible)
    for assignment in assignments.select_related("user").order_by("user__username"):
        held[assignment.role_id].append(assignment.user)
    return held


def scim_group_create(*, actor: ScimActor, display_name: str) -> Role:
    """An IdP group pushed here becomes a role with no permissions (an administrator gives it some in the
    console); a name that exists is a 409 so the IdP links to it instead."""
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]{1,62}", display_name):
        raise ScimError(400, "displayName: a role name: 2-63 lower-case letters, digits and -.", "invalidValue")
    if Role.objects.filter(organization=actor.organization, name=display_name).exists():
        raise ScimError(409, "displayName: a role with this name exists.", "uniqueness")
    return role_create(actor=actor, name=display_name, permissions=[], description="Created by SCIM provisioning")


def _member_user(actor: ScimActor, value: Any) -> User:
    if not isinstance(value, dict) or not isinstance(value.get("value"), str):
        raise ScimError(400, "members: each member is an object with a value (the User id).", "invalidValue")
    membership = member_queryset(actor.organization).filter(user__public_id=value["value"]).first()
    if membership is None:
        raise ScimError(400, "members.value: no such User in this organisation.", "invalidValue")
    if membership.status == MemberStatus.DEACTIVATED:
        raise ScimError(400, "members.value: the User is deactivated.", "invalidValue")
    return membership.user


def _assign(actor: ScimActor, user: User, role: Role) -> None:
    """`role_assign`'s checks (no self-assignment, nothing beyond the issuer's own permissions), for an active
    or an invited member (whose roles act once they accept, as an invitation's do)."""
    resource = f"role/{role.name}"
    if actor.user is not None and actor.user.pk == user.pk:
        refuse_grant(actor, "role:manage", resource, "self_assignment",
                     "A SCIM token cannot assign roles to the member who issued it.")  # fmt: skip
    require_grantable(actor, list(role.permissions), role.resource_pattern, resource)
    if not Membership.objects.filter(organization=actor.organization, user=user).exists():
        raise ScimError(400, "members.value: no such User in this organisation.", "invalidValue")
    _role_assign(actor=actor, organization=actor.organization, user=user, role=role, allow_invited=True)


def _members_in(actor: ScimActor, value: Any) -> list[User]:
    if value is None:
        return []
    if isinstance(value, dict) and "members" in value:  # {"op": "add", "value": {"members": [...]}}
        value = value["members"]
    if not isinstance(value, list):
        raise ScimError(400, "members: must be a list of {value} objects.", "invalidValue")
    return [_member_user(actor, item) for item in value]


def scim_group_patch(*, actor: ScimActor, role: Role, operations: list[Any]) -> None:
    """Apply PatchOp operations on `members` (add, remove, replace; Entra's and Okta's forms), all or none
    (RFC 7644 §3.5.2). A refusal's audit event, rolled back with the operations, is written again after."""
    try:
        _apply(actor, role, operations)
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


def _apply(actor: ScimActor, role: Role, operations: list[Any]) -> None:
    with transaction.atomic():
        for operation in operations:
            if not isinstance(operation, dict):
                raise ScimError(400, "Operations: each operation is an object.", "invalidSyntax")
            op = str(operation.get("op", "")).lower()
            path = str(operation.get("path") or "")
            value = operation.get("value")
            if op not in ("add", "remove", "replace"):
                raise ScimError(400, "op: must be add, remove or replace.", "invalidSyntax")
            single = _MEMBER_FILTER.match(path)
            if path.lower() == "displayname" or (not path and isinstance(value, dict) and "displayName" in value):
                name = value if isinstance(value, str) else (value or {}).get("displayName")
                if op == "remove" or name != role.name:
                    raise ScimError(400, "displayName: a role's name cannot change.", "mutability")
            elif single is not None and op == "remove":
                _unassign(actor, role, [single["id"]])
            elif path.lower() == "members" or (not path and isinstance(value, dict)):
                users = _members_in(actor, value)
                if op == "add":
                    for user in users:
                        _assign(actor, user, role)
                elif op == "remove" and value is not None:
                    _unassign(actor, role, [user.public_id for user in users])
                else:  # replace, or remove of every member
                    keep = {user.pk for user in users}
                    holders = RoleAssignment.objects.filter(organization=actor.organization, role=role)
                    _unassign(actor, role, [a.user.public_id for a in holders.select_related("user")
                                            if a.user_id not in keep])  # fmt: skip
                    for user in users:
                        _assign(actor, user, role)
            else:
                raise ScimError(400, f"path: {path[:60] or '(none)'} is not a Group attribute that can change.",
                                "invalidPath")  # fmt: skip


def _unassign(actor: ScimActor, role: Role, user_ids: list[str]) -> None:
    for user in User.objects.filter(public_id__in=user_ids, role_assignments__role=role).distinct():
        role_unassign(actor=actor, user=user, role=role)


def scim_group_replace(*, actor: ScimActor, role: Role, body: dict[str, Any]) -> None:
    """PUT: the members become exactly those listed; the name cannot change."""
    name = body.get("displayName")
    if name is not None and name != role.name:
        raise ScimError(400, "displayName: a role's name cannot change.", "mutability")
    scim_group_patch(actor=actor, role=role, operations=[{"op": "replace", "path": "members",
                                                          "value": body.get("members") or []}])  # fmt: skip
