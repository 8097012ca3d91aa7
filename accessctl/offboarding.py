"""Offboarding (45 CFR 164.308(a)(3)(ii)(C)): deactivating a member ends, in one audited transaction, their
console sessions, API keys, pending invitation and (through the steps other apps register) break-glass
requests and grants; nothing is deleted, so the audit log's identities stay resolvable. Reactivation is
audited too and restores no credential. Also the administrator's password-reset link."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.forms import PasswordResetForm
from django.contrib.sessions.models import Session
from django.db import transaction
from django.utils import timezone

from accessctl.extensions import OFFBOARDING_STEPS, record
from accessctl.invitations import refuse_self
from accessctl.models import ApiKey, Invitation, InvitationStatus, Membership, MemberStatus, Role, User, UserSession
from accessctl.policy import ADMIN_ROLE, authorize, organization_resource, require_grantable
from accessctl.services import LastAdminError, is_last_admin
from core.errors import StateConflict

if TYPE_CHECKING:
    from accessctl.actor import Actor


class MemberStateError(StateConflict):
    """The member is not in a state the action applies to (a 409)."""


@dataclass(frozen=True)
class Offboarded:
    """What deactivation ended, for the console's checklist (and, as counts, the audit event)."""

    user: User
    ended: dict[str, int] = field(default_factory=dict)


def require_over(actor: Actor, user: User, action: str) -> None:
    """Nobody acts on themselves here, nor on a member holding anything they could not grant (403, audited):
    a security admin does not deactivate, reactivate or reset the organisation's administrator."""
    refuse_self(actor, user, action)
    for role in Role.objects.filter(organization=actor.organization, assignments__user=user):
        require_grantable(actor, list(role.permissions), role.resource_pattern, f"user/{user.public_id}")


def _membership(actor: Actor, user: User) -> Membership:
    membership = Membership.objects.select_for_update().filter(organization=actor.organization, user=user).first()
    if membership is None:
        raise MemberStateError("user_id", "No such member in this organisation.")
    return membership


def user_deactivate(*, actor: Actor, user: User) -> Offboarded:
    authorize(actor, "user:manage", organization_resource(actor))
    require_over(actor, user, "deactivate")
    refused = False
    with transaction.atomic():
        membership = _membership(actor, user)
        if membership.status != MemberStatus.ACTIVE:
            if membership.status == MemberStatus.INVITED:
                raise MemberStateError("status", "The member has not accepted the invitation; revoke it instead.")
            raise MemberStateError("status", "The member is deactivated already.")
        if is_last_admin(organization=actor.organization, user=user):
            refused = True
        else:
            ended = _offboard(actor, user, membership)
    if refused:
        record(actor=actor, event_type="access.denied", resource=f"user/{user.public_id}", outcome="denied",
               resource_id=user.public_id, details={"permission": "user:manage", "reason": "last_admin"})  # fmt: skip
        raise LastAdminError("user_id", f"{user.username} is the organisation's last {ADMIN_ROLE}; make someone "
                                        "else one first.")  # fmt: skip
    return Offboarded(user=user, ended=ended)


def _offboard(actor: Actor, user: User, membership: Membership) -> dict[str, int]:
    now = timezone.now()
    membership.is_active = False
    membership.deactivated_at = now
    membership.save(update_fields=["is_active", "deactivated_at"])
    # Signing in is refused outright unless the person is still an active member somewhere else.
    if not Membership.objects.filter(user=user, is_active=True).exists():
        user.is_active = False
        user.save(update_fields=["is_active"])
    sessions = UserSession.objects.filter(organization=actor.organization, user=user)
    session_keys = list(sessions.values_list("session_key", flat=True))
    Session.objects.filter(session_key__in=session_keys).delete()
    sessions.delete()
    keys = ApiKey.objects.filter(organization=actor.organization, user=user, revoked_at__isnull=True)
    key_count = keys.update(revoked_at=now)
    invitations = Invitation.objects.filter(organization=actor.organization, user=user,
                                            status=InvitationStatus.PENDING)  # fmt: skip
    invitation_count = invitations.update(status=InvitationStatus.REVOKED, revoked_at=now)
    ended = {"sessions_ended": len(session_keys), "api_keys_revoked": key_count,
             "invitations_revoked": invitation_count}  # fmt: skip
    for step in OFFBOARDING_STEPS:
        ended.update(step(actor, user))
    record(actor=actor, event_type="user.deactivated", resource=f"user/{user.public_id}", resource_id=user.public_id,
           details=ended)  # fmt: skip
    return ended


def user_reactivate(*, actor: Actor, user: User) -> User:
    """The member can sign in again with their password and MFA; revoked keys and ended sessions stay ended."""
    authorize(actor, "user:manage", organization_resource(actor))
    require_over(actor, user, "reactivate")  # outside the write transaction: a refusal's audit event stays
    with transaction.atomic():
        membership = _membership(actor, user)
        if membership.status != MemberStatus.DEACTIVATED:
            raise MemberStateError("status", f"The member is {membership.status}, not deactivated.")
        if not user.has_usable_password():
            raise MemberStateError("status", "They never accepted their invitation: invite them again instead.")
        membership.is_active = True
        membership.deactivated_at = None
        membership.save(update_fields=["is_active", "deactivated_at"])
        user.is_active = True
        user.save(update_fields=["is_active"])
        record(actor=actor, event_type="user.reactivated", resource=f"user/{user.public_id}",
               resource_id=user.public_id, details={"usable_password": user.has_usable_password()})  # fmt: skip
    return user


def password_reset_send(*, actor: Actor, user: User) -> None:
    """E-mail the active member a link to choose a new password (Django's reset tokens: single use, since
    they hash the current password, and valid PASSWORD_RESET_TIMEOUT). The administrator never sees the link,
    and the reset does not touch MFA: the next sign-in still asks for the second factor."""
    authorize(actor, "user:manage", organization_resource(actor))
    require_over(actor, user, "reset the password of")
    with transaction.atomic():
        membership = _membership(actor, user)
        if membership.status != MemberStatus.ACTIVE or not user.email:
            raise MemberStateError("status", "Only an active member with an e-mail address can be sent a reset.")
        record(actor=actor, event_type="user.password_reset_sent", resource=f"user/{user.public_id}",
               resource_id=user.public_id, details={"via": "administrator"})  # fmt: skip
        email = user.email
        transaction.on_commit(lambda: send_password_reset(email))


def send_password_reset(email: str) -> None:
    """Mail reset links to the active accounts with this address that have a password (Django's form finds
    them; it sends nothing for an unknown address)."""
    console = urlsplit(settings.PAITIENT_CONSOLE_URL)
    form = PasswordResetForm({"email": email})
    if form.is_valid():
        form.save(
            domain_override=console.netloc,
            use_https=console.scheme == "https",
            subject_template_name="registration/password_reset_subject.txt",
            email_template_name="registration/password_reset_email.txt",
        )
