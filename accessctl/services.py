"""Writes for identity and tenancy: keyword-only, atomic, returning the object."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import slugify

from accessctl.models import Membership, Organization, Role, RoleAssignment, User
from accessctl.policy import BUILTIN_ROLES, unknown_permissions
from audit.services import record
from portal.errors import FieldError

if TYPE_CHECKING:
    from accessctl.actor import Actor


@transaction.atomic
def organization_get_or_create(*, name: str) -> tuple[Organization, bool]:
    """The organisation named `name`, created with the built-in roles when new."""
    organization, created = Organization.objects.get_or_create(name=name, defaults={"slug": slugify(name)[:60]})
    if created:
        record(
            actor=None,
            organization=organization,
            event_type="organization.created",
            resource=f"organization/{organization.slug}",
        )
        roles_ensure_builtin(organization=organization)
    return organization, created


@transaction.atomic
def roles_ensure_builtin(*, organization: Organization) -> list[Role]:
    roles = []
    for name, (description, permissions) in BUILTIN_ROLES.items():
        role, created = Role.objects.get_or_create(
            organization=organization,
            name=name,
            defaults={"description": description, "permissions": permissions, "resource_pattern": "*", "builtin": True},
        )
        if created:
            record(
                actor=None,
                organization=organization,
                event_type="role.created",
                resource=f"role/{name}",
                details={"permissions": permissions, "resource_pattern": "*", "builtin": True},
            )
        elif role.builtin and sorted(role.permissions) != sorted(permissions):  # a release changed the role
            before = sorted(role.permissions)
            role.permissions = permissions
            role.save(update_fields=["permissions"])
            record(
                actor=None,
                organization=organization,
                event_type="role.updated",
                resource=f"role/{name}",
                details={"before": before, "after": sorted(permissions), "builtin": True},
            )
        roles.append(role)
    return roles


@transaction.atomic
def role_assign(*, actor: Actor | None, organization: Organization, user: User, role: Role) -> RoleAssignment:
    """Give `user` the role (idempotent); both must belong to `organization`."""
    if role.organization_id != organization.pk:
        raise ValueError("role belongs to another organisation")
    if not Membership.objects.filter(organization=organization, user=user, is_active=True).exists():
        raise ValueError("user is not a member of the organisation")
    assignment, created = RoleAssignment.objects.get_or_create(organization=organization, role=role, user=user)
    if created:
        record(
            actor=actor,
            organization=organization,
            event_type="role.assigned",
            resource=f"role/{role.name}",
            resource_id=user.public_id,
            details={"user_id": user.public_id, "role": role.name},
        )
    return assignment


@transaction.atomic
def user_create(
    *, organization: Organization, username: str, email: str, password: str | None, is_superuser: bool = False
) -> User:
    """A user and their membership in `organization`; an unusable password when none is given."""
    user = User(username=username, email=email, is_staff=is_superuser, is_superuser=is_superuser)
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    Membership.objects.create(organization=organization, user=user)
    record(
        actor=None,
        organization=organization,
        user=user,
        event_type="user.created",
        resource=f"user/{user.username}",
        details={"superuser": is_superuser},
    )
    return user


class RoleError(FieldError):
    """A role change was refused; `field` names the offending input."""


@transaction.atomic
def role_create(
    *, actor: Actor, name: str, permissions: list[str], resource_pattern: str = "*", description: str = ""
) -> Role:
    unknown = unknown_permissions(permissions)
    if unknown:
        raise RoleError("permissions", f"Unknown permission(s): {', '.join(unknown)}.")
    if not resource_pattern.strip() or len(resource_pattern) > 200:
        raise RoleError("resource_pattern", "Give a glob over <kind>/<name>, e.g. deployment/hipaa-*.")
    if Role.objects.filter(organization=actor.organization, name=name).exists():
        raise RoleError("name", f"A role named {name} already exists.")
    role = Role(
        organization=actor.organization,
        name=name,
        permissions=sorted(set(permissions)),
        resource_pattern=resource_pattern.strip(),
        description=description,
    )
    try:
        role.full_clean(exclude=["organization"])
    except ValidationError as exc:
        field, messages = next(iter(exc.message_dict.items()))
        raise RoleError(field, " ".join(messages)) from None
    role.save()
    record(
        actor=actor,
        event_type="role.created",
        resource=f"role/{role.name}",
        details={"permissions": role.permissions, "resource_pattern": role.resource_pattern},
    )
    return role


@transaction.atomic
def role_unassign(*, actor: Actor, user: User, role: Role) -> bool:
    deleted, _ = RoleAssignment.objects.filter(organization=actor.organization, role=role, user=user).delete()
    if deleted:
        record(
            actor=actor,
            event_type="role.unassigned",
            resource=f"role/{role.name}",
            resource_id=user.public_id,
            details={"user_id": user.public_id, "role": role.name},
        )
    return bool(deleted)
