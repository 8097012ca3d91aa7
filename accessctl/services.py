"""Writes for identity and tenancy: keyword-only, atomic, returning the object."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.text import slugify

from accessctl.extensions import record
from accessctl.models import Membership, Organization, Role, RoleAssignment, User
from accessctl.policy import ADMIN_ROLE, BUILTIN_ROLES, refuse_grant, require_grantable, unknown_permissions
from core.errors import FieldError, StateConflict

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


def role_assign(*, actor: Actor | None, organization: Organization, user: User, role: Role) -> RoleAssignment:
    """Give `user` the role (idempotent); both must belong to `organization`.

    An actor may assign only roles whose every permission they hold themselves, and never to themselves (a
    second person must do it); both refusals are 403s written to the audit log. No actor: the operator.
    """
    if role.organization_id != organization.pk:
        raise ValueError("role belongs to another organisation")
    if actor is not None:
        resource = f"role/{role.name}"
        if actor.user is not None and actor.user.pk == user.pk:
            refuse_grant(actor, "role:manage", resource, "self_assignment",
                         "You cannot assign a role to yourself; ask another administrator.")  # fmt: skip
        require_grantable(actor, list(role.permissions), role.resource_pattern, resource)
    return _role_assign(actor=actor, organization=organization, user=user, role=role)


@transaction.atomic
def _role_assign(
    *, actor: Actor | None, organization: Organization, user: User, role: Role, allow_invited: bool = False
) -> RoleAssignment:
    """`allow_invited`: the member may also be invited, not yet active (an invitation names its roles)."""
    acting = Q(is_active=True) | Q(joined_at__isnull=True) if allow_invited else Q(is_active=True)
    if not Membership.objects.filter(acting, organization=organization, user=user).exists():
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


def role_create(
    *, actor: Actor, name: str, permissions: list[str], resource_pattern: str = "*", description: str = ""
) -> Role:
    """A new role; nobody creates a role with a permission they do not hold (403, audited)."""
    unknown = unknown_permissions(permissions)
    if unknown:
        raise RoleError("permissions", f"Unknown permission(s): {', '.join(unknown)}.")
    if not resource_pattern.strip() or len(resource_pattern) > 200:
        raise RoleError("resource_pattern", "Give a glob over <kind>/<name>, e.g. deployment/hipaa-*.")
    require_grantable(actor, permissions, resource_pattern.strip(), f"role/{name}")
    return _role_create(
        actor=actor, name=name, permissions=permissions, resource_pattern=resource_pattern, description=description
    )


@transaction.atomic
def _role_create(*, actor: Actor, name: str, permissions: list[str], resource_pattern: str, description: str) -> Role:
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


class LastAdminError(StateConflict):
    """Removing the role (or the member) would leave the organisation without an administrator."""


def role_unassign(*, actor: Actor, user: User, role: Role) -> bool:
    """Take a role from a user. Only roles the actor could grant may be taken (nobody demotes someone above
    them), and the organisation's last active `org-admin` keeps the role (a 409: recovery would need the
    operator's `manage.py restore_org_admin`)."""
    require_grantable(actor, list(role.permissions), role.resource_pattern, f"role/{role.name}")
    deleted = 0
    with transaction.atomic():
        if role.name == ADMIN_ROLE and is_last_admin(organization=actor.organization, user=user):
            refused = True
        else:
            refused = False
            deleted, _ = RoleAssignment.objects.filter(organization=actor.organization, role=role, user=user).delete()
            if deleted:
                record(
                    actor=actor,
                    event_type="role.unassigned",
                    resource=f"role/{role.name}",
                    resource_id=user.public_id,
                    details={"user_id": user.public_id, "role": role.name},
                )
    if refused:
        record(actor=actor, event_type="access.denied", resource=f"role/{role.name}", outcome="denied",
               resource_id=user.public_id, details={"permission": "role:manage", "reason": "last_admin"})  # fmt: skip
        raise LastAdminError(
            "role_name", f"{user.username} is the organisation's last {ADMIN_ROLE}; make someone else one first."
        )
    return bool(deleted)


def is_last_admin(*, organization: Organization, user: User) -> bool:
    """`user` is the only active member holding `org-admin` (rows locked: two admins removing each other at
    once cannot both succeed). Call inside a transaction."""
    holders = list(
        RoleAssignment.objects.select_for_update(of=("self",))
        .filter(
            organization=organization,
            role__name=ADMIN_ROLE,
            user__is_active=True,
            user__memberships__organization=organization,
            user__memberships__is_active=True,
        )
        .values_list("user_id", flat=True)
    )
    return holders == [user.pk]
