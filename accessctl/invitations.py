"""Inviting people by e-mail: a signed, single-use link valid 72 hours; accepting it sets a password that passes
the password policy (AUTH_PASSWORD_VALIDATORS) and activates the membership. Resend replaces the link, revoke
ends it. Every change is audited in its transaction; the link and the password never reach a log or the audit."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from accessctl.extensions import record
from accessctl.models import Invitation, InvitationStatus, Membership, Role, RoleAssignment, User
from accessctl.policy import authorize, organization_resource, refuse_grant, require_grantable
from accessctl.security import settings_for
from accessctl.services import _role_assign
from core.errors import FieldError, StateConflict

if TYPE_CHECKING:
    from accessctl.actor import Actor

INVITATION_TTL = timedelta(hours=72)
_SALT = "accessctl.invitation"


class InvitationError(FieldError):
    """The invitation cannot be made, resent or accepted as asked; `field` names the input."""


class InvitationClosed(StateConflict):
    """The invitation was accepted or revoked already (a 409)."""


def _nonce_hash(nonce: str) -> str:
    return hashlib.sha256(nonce.encode()).hexdigest()


def _new_link(invitation: Invitation) -> str:
    """A fresh nonce for the invitation (kept as a hash) and the signed token that carries it."""
    nonce = secrets.token_urlsafe(24)
    invitation.nonce_hash = _nonce_hash(nonce)
    return signing.dumps({"i": invitation.public_id, "n": nonce}, salt=_SALT)


def _send(invitation: Invitation, token: str) -> None:
    """Mail the link after the transaction commits (a rolled-back invitation sends nothing)."""
    context = {
        "organization": invitation.organization.name,
        "inviter": invitation.invited_by.get_full_name() or invitation.invited_by.username
        if invitation.invited_by
        else "An administrator",
        "link": f"{settings.PAITIENT_CONSOLE_URL.rstrip('/')}{reverse('invitation-accept')}?"
        + urlencode({"token": token}),
        "hours": int(INVITATION_TTL.total_seconds() // 3600),
    }
    subject = f"[PaiTIENT] You are invited to {invitation.organization.name}"
    body = render_to_string("accessctl/email/invitation.txt", context)
    address = invitation.email
    transaction.on_commit(lambda: send_mail(subject, body, None, [address]))


def _roles_by_name(actor: Actor, names: list[str]) -> list[Role]:
    roles = list(Role.objects.filter(organization=actor.organization, name__in=set(names)))
    missing = sorted(set(names) - {role.name for role in roles})
    if missing:
        raise InvitationError("roles", f"No role named {', '.join(missing)}.")
    return roles


def invitation_create(
    *, actor: Actor, email: str, first_name: str = "", last_name: str = "", roles: list[str] | None = None
) -> Invitation:
    """Invite `email` to the actor's organisation with `roles` (each one the actor could grant themselves)."""
    authorize(actor, "user:manage", organization_resource(actor))
    address = email.strip().lower()
    try:
        validate_email(address)
    except ValidationError:
        raise InvitationError("email", "Enter a valid e-mail address.") from None
    chosen = _roles_by_name(actor, roles or [])
    for role in chosen:
        require_grantable(actor, list(role.permissions), role.resource_pattern, f"role/{role.name}")
    return _invitation_create(actor=actor, email=address, first_name=first_name, last_name=last_name, roles=chosen)


@transaction.atomic
def _invitation_create(*, actor: Actor, email: str, first_name: str, last_name: str, roles: list[Role]) -> Invitation:
    again = _uninvited_again(actor, email)
    user = again or _new_user(email, first_name, last_name)
    if again is not None:  # the roles are this invitation's, not what a lapsed one held
        for assignment in RoleAssignment.objects.filter(organization=actor.organization, user=user).select_related(
            "role"
        ):
            assignment.delete()
            record(actor=actor, event_type="role.unassigned", resource=f"role/{assignment.role.name}",
                   resource_id=user.public_id, details={"user_id": user.public_id, "role": assignment.role.name,
                                                        "reason": "invited_again"})  # fmt: skip
    Membership.objects.update_or_create(
        organization=actor.organization, user=user, defaults={"is_active": False, "joined_at": None,
                                                              "deactivated_at": None}
    )  # fmt: skip
    now = timezone.now()
    invitation = Invitation(
        organization=actor.organization,
        user=user,
        email=email,
        invited_by=actor.user,
        sent_at=now,
        expires_at=now + INVITATION_TTL,
    )
    token = _new_link(invitation)
    invitation.save()
    record(
        actor=actor,
        event_type="user.invited",
        resource=f"user/{user.public_id}",
        resource_id=user.public_id,
        details={"invitation_id": invitation.public_id, "roles": sorted(r.name for r in roles),
                 "email_domain": email.rpartition("@")[2]},
    )  # fmt: skip
    for role in roles:  # the invited membership holds them; they act only once it is active
        _role_assign(actor=actor, organization=actor.organization, user=user, role=role, allow_invited=True)
    _send(invitation, token)
    return invitation


def _uninvited_again(actor: Actor, email: str) -> User | None:
    """Someone whose earlier invitation here lapsed (revoked, or deactivated before accepting: never a
    password) may be invited again under the same identity; anyone else with the address is refused."""
    existing = User.objects.filter(Q(email__iexact=email) | Q(username__iexact=email)).first()
    if existing is None:
        return None
    membership = Membership.objects.filter(organization=actor.organization, user=existing).first()
    if membership is None or membership.is_active or existing.has_usable_password():
        raise InvitationError("email", "Someone with this e-mail address already has an account.")
    if Invitation.objects.filter(user=existing, status=InvitationStatus.PENDING).exists():
        raise InvitationError("email", "This person has a pending invitation; resend it instead.")
    return existing


def _new_user(email: str, first_name: str, last_name: str) -> User:
    user = User(username=email, email=email, first_name=first_name.strip()[:150], last_name=last_name.strip()[:150])
    user.set_unusable_password()
    try:
        user.full_clean(exclude=["password"])
    except ValidationError as exc:
        field, messages = next(iter(exc.message_dict.items()))
        raise InvitationError("email" if field == "username" else field, " ".join(messages)) from None
    user.save()
    return user


def _lock(actor: Actor, invitation: Invitation) -> Invitation:
    locked = (
        Invitation.objects.select_for_update(of=("self",)).select_related("user", "invited_by").get(pk=invitation.pk)
    )
    locked.organization = actor.organization
    if locked.status != InvitationStatus.PENDING:
        raise InvitationClosed("status", f"The invitation was {locked.status} already.")
    return locked


def invitation_resend(*, actor: Actor, invitation: Invitation) -> Invitation:
    """A new link, valid 72 hours from now; the previous link stops working."""
    authorize(actor, "user:manage", organization_resource(actor))
    with transaction.atomic():
        locked = _lock(actor, invitation)
        token = _new_link(locked)
        locked.sent_at = timezone.now()
        locked.expires_at = locked.sent_at + INVITATION_TTL
        locked.send_count += 1
        locked.save(update_fields=["nonce_hash", "sent_at", "expires_at", "send_count"])
        record(actor=actor, event_type="user.invitation_resent", resource=f"user/{locked.user.public_id}",
               resource_id=locked.user.public_id, details={"invitation_id": locked.public_id,
                                                           "send_count": locked.send_count})  # fmt: skip
        _send(locked, token)
    return locked


def invitation_revoke(*, actor: Actor, invitation: Invitation) -> Invitation:
    """End the invitation: its link stops working and the member stays deactivated, never deleted."""
    authorize(actor, "user:manage", organization_resource(actor))
    with transaction.atomic():
        locked = _lock(actor, invitation)
        locked.status = InvitationStatus.REVOKED
        locked.revoked_at = timezone.now()
        locked.save(update_fields=["status", "revoked_at"])
        Membership.objects.filter(organization=actor.organization, user=locked.user, is_active=False,
                                  joined_at__isnull=True).update(joined_at=locked.revoked_at,
                                                                 deactivated_at=locked.revoked_at)  # fmt: skip
        record(actor=actor, event_type="user.invitation_revoked", resource=f"user/{locked.user.public_id}",
               resource_id=locked.user.public_id, details={"invitation_id": locked.public_id})  # fmt: skip
    return locked


def invitation_for_token(token: str) -> Invitation | None:
    """The pending, unexpired invitation the link names, or None (bad signature, older than 72 hours, replaced
    by a resend, accepted, revoked)."""
    try:
        payload: Any = signing.loads(token, salt=_SALT, max_age=INVITATION_TTL)
    except signing.BadSignature:  # SignatureExpired is one
        return None
    if not isinstance(payload, dict) or not isinstance(payload.get("i"), str) or not isinstance(payload.get("n"), str):
        return None
    invitation = Invitation.objects.select_related("organization", "user").filter(public_id=payload["i"]).first()
    if invitation is None or invitation.status != InvitationStatus.PENDING or invitation.is_expired:
        return None
    if not secrets.compare_digest(invitation.nonce_hash, _nonce_hash(payload["n"])):
        return None
    return invitation


@dataclass(frozen=True)
class Accepted:
    user: User
    mfa_required: bool


def invitation_accept(*, token: str, password: str, request: Any = None) -> Accepted:
    """Set the invitee's password (checked against the policy, including the user's own name and e-mail) and
    activate the membership. Raises InvitationError on `token` or `password`."""
    invitation = invitation_for_token(token)
    if invitation is None:
        raise InvitationError("token", "This invitation link is invalid, expired or already used.")
    try:
        validate_password(password, user=invitation.user)
    except ValidationError as exc:
        raise InvitationError("password", " ".join(exc.messages)) from None
    with transaction.atomic():
        locked = (
            Invitation.objects.select_for_update(of=("self",))
            .select_related("user", "organization")
            .get(pk=invitation.pk)
        )
        if locked.status != InvitationStatus.PENDING or locked.nonce_hash != invitation.nonce_hash:
            raise InvitationError("token", "This invitation link is invalid, expired or already used.")
        now = timezone.now()
        locked.status = InvitationStatus.ACCEPTED
        locked.accepted_at = now
        locked.save(update_fields=["status", "accepted_at"])
        user = locked.user
        user.set_password(password)
        user.is_active = True
        user.save(update_fields=["password", "is_active"])
        Membership.objects.filter(organization=locked.organization, user=user).update(
            is_active=True, joined_at=now, deactivated_at=None
        )
        record(actor=None, request=request, organization=locked.organization, user=user,
               event_type="user.invitation_accepted", resource=f"user/{user.public_id}", resource_id=user.public_id,
               details={"invitation_id": locked.public_id})  # fmt: skip
    policy = settings_for(locked.organization)
    return Accepted(user=user, mfa_required=policy.require_mfa)


def refuse_self(actor: Actor, user: User, action: str) -> None:
    """Nobody offboards or resets themselves through the administrator's paths (403, audited)."""
    if actor.user is not None and actor.user.pk == user.pk:
        refuse_grant(actor, "user:manage", f"user/{user.public_id}", f"self_{action}",
                     f"You cannot {action} your own account here; ask another administrator.")  # fmt: skip
