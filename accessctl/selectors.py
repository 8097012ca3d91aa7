"""Reads for identity and tenancy, always scoped to the caller's organisation."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import QuerySet

from accessctl.models import Membership, Organization, Role, User

if TYPE_CHECKING:
    from accessctl.actor import Actor


def active_membership_for_user(user: User) -> Membership | None:
    return (
        Membership.objects.select_related("organization")
        .filter(user=user, is_active=True, user__is_active=True)
        .order_by("created_at", "id")
        .first()
    )


def organization_of(user: User | None) -> Organization | None:
    """The organisation `user` acts in, if any (events about a user go to that organisation's log)."""
    membership = active_membership_for_user(user) if user is not None else None
    return membership.organization if membership else None


def member_list(*, actor: Actor) -> QuerySet[Membership]:
    return Membership.objects.select_related("user").filter(organization=actor.organization, is_active=True)


def roles_for_actor(actor: Actor) -> list[Role]:
    """The user's roles in the actor's organisation; an API key bound to one role narrows to that role."""
    if actor.user is None:
        return []
    roles = Role.objects.filter(organization=actor.organization, assignments__user=actor.user)
    if actor.api_key is not None and actor.api_key.role_id is not None:
        roles = roles.filter(pk=actor.api_key.role_id)
    return list(roles)


def active_member(organization: Organization, user_id: str) -> User | None:
    """The active member of `organization` with this public id, or None (callers name the field in error)."""
    return User.objects.filter(
        public_id=user_id, memberships__organization=organization, memberships__is_active=True
    ).first()
