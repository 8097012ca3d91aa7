"""SCIM Group resources (RFC 7643 §4.2) over the organisation's roles: a group is a role (`id` and
`displayName` are its name), its members are the role's holders (scim/group_membership.py changes them)."""

from __future__ import annotations

import re
from typing import Any

from django.db import transaction

from accessctl.extensions import record
from accessctl.models import ApiKey, Organization, Role, RoleAssignment, User
from accessctl.policy import authorize, require_grantable
from accessctl.services import role_unassign
from scim.models import ScimGroup
from scim.protocol import Filter, ScimError
from scim.tokens import ScimActor
from scim.users import member_queryset

GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
GROUP_FILTERS = ("displayname", "id")


def role_by_id(organization: Organization, group_id: str) -> Role:
    role = Role.objects.filter(organization=organization, name=group_id).select_related("scim_group").first()
    if role is None:
        raise ScimError(404, "No such Group.")
    return role


def filtered_roles(organization: Organization, condition: Filter | None) -> list[Role]:
    roles = Role.objects.filter(organization=organization).select_related("scim_group").order_by("name")
    if condition is None:
        return list(roles)
    if isinstance(condition.value, bool):
        raise ScimError(400, f"filter: {condition.attribute} compares with a string.", "invalidFilter")
    lookup = {"eq": "iexact", "sw": "istartswith", "co": "icontains"}[condition.operator]
    return list(roles.filter(**{f"name__{lookup}": condition.value}))


def group_resource(role: Role, members: list[User], base_url: str) -> dict[str, Any]:
    try:
        linked = role.scim_group.external_id  # select_related by the lookups: no query per group
    except ScimGroup.DoesNotExist:
        linked = ""
    resource: dict[str, Any] = {
        "schemas": [GROUP_SCHEMA],
        "id": role.name,
        "displayName": role.name,
        "members": [
            {
                "value": user.public_id,
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
    if not members:  # unassigned attributes are left out (RFC 7643 §2.5)
        del resource["members"]
    if linked:
        resource["externalId"] = linked
    return resource


def members_of(organization: Organization, roles: list[Role]) -> dict[int, list[User]]:
    """The holders of each role whom SCIM may see (not deleted through SCIM)."""
    visible = member_queryset(organization).values("user_id")
    held: dict[int, list[User]] = {role.pk: [] for role in roles}
    assignments = RoleAssignment.objects.filter(organization=organization, role__in=roles, user_id__in=visible)
    for assignment in assignments.select_related("user").order_by("user__username"):
        held[assignment.role_id].append(assignment.user)
    return held


def scim_group_create(*, actor: ScimActor, display_name: str, external_id: str = "") -> Role:
    """An IdP group pushed here becomes a role with no permissions (it grants nothing until an administrator
    gives it some in the console); a name that exists is a 409, so the IdP links to that role instead."""
    authorize(actor, "role:manage", f"role/{display_name[:60]}")
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]{1,62}", display_name):
        raise ScimError(400, "displayName: a role name: 2-63 lower-case letters, digits and -.", "invalidValue")
    with transaction.atomic():
        if Role.objects.filter(organization=actor.organization, name=display_name).exists():
            raise ScimError(409, "displayName: a role with this name exists.", "uniqueness")
        role = Role.objects.create(organization=actor.organization, name=display_name, permissions=[],
                                   resource_pattern="*", description="Created by SCIM provisioning")  # fmt: skip
        record(actor=actor, event_type="role.created", resource=f"role/{role.name}",
               details={"permissions": [], "resource_pattern": "*", "via": "scim"})  # fmt: skip
        if external_id:
            ScimGroup.objects.create(organization=actor.organization, role=role, external_id=external_id)
    return role


def scim_group_delete(*, actor: ScimActor, role: Role) -> None:
    """Delete a role the IdP deleted: every holder loses it (each audited as role.unassigned), then the role
    (role.deleted). Built-in roles, and roles API keys are narrowed to (deleting would erase the key rows),
    are refused."""
    resource = f"role/{role.name}"
    authorize(actor, "role:manage", resource)
    if role.builtin:
        raise ScimError(403, "Built-in roles cannot be deleted; unlink the group in the identity provider.")
    if ApiKey.objects.filter(role=role).exists():
        raise ScimError(409, "API keys are narrowed to this role; revoke and delete them in the console first.")
    require_grantable(actor, list(role.permissions), role.resource_pattern, resource)
    with transaction.atomic():
        for assignment in role.assignments.select_related("user"):
            role_unassign(actor=actor, user=assignment.user, role=role)
        record(actor=actor, event_type="role.deleted", resource=resource,
               details={"permissions": sorted(role.permissions), "via": "scim"})  # fmt: skip
        role.delete()
