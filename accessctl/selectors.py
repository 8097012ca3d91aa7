"""Reads for identity and tenancy, always scoped to the caller's organisation."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

from accessctl.models import Membership, MemberStatus, Organization, Role, RoleAssignment, User

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
    # Unordered: every caller asks whether any role grants something (the default ordering by name would only
    # cost a sort and its compilation on every policy check).
    roles = Role.objects.filter(organization=actor.organization, assignments__user=actor.user).order_by()
    if actor.api_key is not None and actor.api_key.role_id is not None:
        roles = roles.filter(pk=actor.api_key.role_id)
    return list(roles)


def active_member(organization: Organization, user_id: str) -> User | None:
    """The active member of `organization` with this public id, or None (callers name the field in error)."""
    return User.objects.filter(
        public_id=user_id, memberships__organization=organization, memberships__is_active=True
    ).first()


@dataclass(frozen=True)
class DirectoryFilters:
    status: str = ""  # invited | active | deactivated; empty: all
    role: str = ""
    q: str = ""  # part of a name, user name or e-mail address


def member_directory(*, actor: Actor, filters: DirectoryFilters | None = None) -> QuerySet[Membership]:
    """Every membership of the actor's organisation (invited, active, deactivated) with its user, role names
    and live API key count prefetched/annotated; ordered by user name."""
    filters = filters or DirectoryFilters()
    now = timezone.now()
    members = (
        Membership.objects.filter(organization=actor.organization)
        .select_related("user")
        .prefetch_related(
            Prefetch(
                "user__role_assignments",
                queryset=RoleAssignment.objects.filter(organization=actor.organization).select_related("role"),
                to_attr="org_assignments",
            )
        )
        .annotate(
            sort_name=F("user__username"),
            has_totp=Exists(TOTPDevice.objects.filter(user=OuterRef("user_id"), confirmed=True)),
            has_passkey=Exists(WebAuthnCredential.objects.filter(user=OuterRef("user_id"), confirmed=True)),
            has_backup_codes=Exists(StaticToken.objects.filter(device__user=OuterRef("user_id"))),
            api_key_count=Count(
                "user__api_keys",
                filter=Q(user__api_keys__organization=actor.organization, user__api_keys__revoked_at__isnull=True)
                & (Q(user__api_keys__expires_at__isnull=True) | Q(user__api_keys__expires_at__gt=now)),
                distinct=True,
            ),
        )
    )
    if filters.status == MemberStatus.ACTIVE:
        members = members.filter(is_active=True)
    elif filters.status == MemberStatus.INVITED:
        members = members.filter(is_active=False, joined_at__isnull=True)
    elif filters.status == MemberStatus.DEACTIVATED:
        members = members.filter(is_active=False, joined_at__isnull=False)
    if filters.role:
        members = members.filter(
            user__role_assignments__organization=actor.organization, user__role_assignments__role__name=filters.role
        )
    if filters.q.strip():
        term = filters.q.strip()
        members = members.filter(
            Q(user__username__icontains=term)
            | Q(user__email__icontains=term)
            | Q(user__first_name__icontains=term)
            | Q(user__last_name__icontains=term)
        )
    return members.order_by("user__username", "id")


def member_get(*, actor: Actor, user_id: str) -> Membership | None:
    """One membership of the actor's organisation (any status) by the user's public id, as the directory has it."""
    return member_directory(actor=actor).filter(user__public_id=user_id).first()


@dataclass(frozen=True)
class MfaStatus:
    enrolled: bool
    methods: list[str]  # "totp", "passkey", "backup_codes"
    required: bool


def mfa_status_of(membership: Membership, required: bool) -> MfaStatus:
    """From the directory's annotations (one query for the whole page)."""
    held = {
        "totp": getattr(membership, "has_totp", False),
        "passkey": getattr(membership, "has_passkey", False),
        "backup_codes": getattr(membership, "has_backup_codes", False),
    }
    methods = [name for name, present in held.items() if present]
    return MfaStatus(enrolled="totp" in methods or "passkey" in methods, methods=methods, required=required)
