"""Writes an identity provider makes through SCIM, each through accessctl's own services: provisioning is an
invitation, deprovisioning is the console's offboarding (sessions ended, keys revoked, audited), a SCIM DELETE
deactivates and hides but never erases. Every change is audited with the token as actor."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from accessctl.extensions import record
from accessctl.invitations import InvitationError, invitation_create, invitation_revoke
from accessctl.models import Invitation, InvitationStatus, Membership, MemberStatus, User
from accessctl.offboarding import require_over, user_deactivate, user_reactivate
from accessctl.policy import authorize, organization_resource
from scim.models import ScimIdentity
from scim.protocol import ScimError
from scim.tokens import ScimActor
from scim.users import UserState


def _user_name_taken(user_name: str, but: User | None = None) -> bool:
    taken = User.objects.filter(username__iexact=user_name)
    if but is not None:
        taken = taken.exclude(pk=but.pk)
    return taken.exists()


def _invite(actor: ScimActor, email: str, state: UserState) -> User:
    try:
        invitation = invitation_create(actor=actor, email=email, first_name=state.given_name,
                                       last_name=state.family_name)  # fmt: skip
    except InvitationError as exc:
        if "already" in str(exc):
            raise ScimError(409, "userName: a member with this userName or e-mail address exists.",
                            "uniqueness") from None  # fmt: skip
        raise
    return invitation.user


def scim_user_create(*, actor: ScimActor, state: UserState) -> User:
    """Provision a member: an invitation e-mailed to their address (they set a password, and MFA where the
    organisation requires it, or sign in through SSO). `userName` is case-insensitively unique. A member the
    IdP deleted earlier and now creates again is restored under the same identity (and reactivated)."""
    authorize(actor, "user:manage", organization_resource(actor))
    deleted = (
        ScimIdentity.objects.filter(
            organization=actor.organization, deleted_at__isnull=False, user__username__iexact=state.user_name
        )
        .select_related("user")
        .first()
    )
    if deleted is not None:
        return _restore(actor, deleted, state)
    email = state.email or state.user_name.lower()
    if not state.email and "@" not in state.user_name:
        raise ScimError(400, "emails: give the member's work e-mail address (the invitation goes there).",
                        "invalidValue")  # fmt: skip
    if _user_name_taken(state.user_name) or _user_name_taken(email):
        raise ScimError(409, "userName: a member with this userName or e-mail address exists.", "uniqueness")
    with transaction.atomic():
        user = _invite(actor, email, state)
        if user.username != state.user_name:
            user.username = state.user_name
            user.save(update_fields=["username"])
        ScimIdentity.objects.update_or_create(
            organization=actor.organization,
            user=user,
            defaults={"external_id": state.external_id, "email_primary": state.email_primary, "deleted_at": None},
        )
        record(
            actor=actor,
            event_type="user.provisioned",
            resource=f"user/{user.public_id}",
            resource_id=user.public_id,
            details={"via": "scim", "external_id": bool(state.external_id)},
        )
        if not state.active:
            _deactivate(actor, user)
    return user


def _restore(actor: ScimActor, identity: ScimIdentity, state: UserState) -> User:
    with transaction.atomic():
        identity.deleted_at = None
        identity.save(update_fields=["deleted_at", "updated_at"])
        record(actor=actor, event_type="user.provisioned", resource=f"user/{identity.user.public_id}",
               resource_id=identity.user.public_id, details={"via": "scim", "restored": True})  # fmt: skip
    return scim_user_update(actor=actor, user=identity.user, state=state)


def scim_user_update(*, actor: ScimActor, user: User, state: UserState) -> User:
    """Bring the member to `state`: profile attributes first (one `user.updated` event naming the changed
    attributes, never their values), then the active flag through offboarding or reactivation."""
    authorize(actor, "user:manage", organization_resource(actor))
    identity = ScimIdentity.objects.filter(organization=actor.organization, user=user).first()
    changed = [name for name, before, after in (
        ("userName", user.username, state.user_name),
        ("name.givenName", user.first_name, state.given_name),
        ("name.familyName", user.last_name, state.family_name),
        ("emails", user.email, state.email or user.email),
        ("emails.primary", identity.email_primary if identity else True, state.email_primary),
        ("externalId", identity.external_id if identity else "", state.external_id),
    ) if before != after]  # fmt: skip
    membership = _membership(actor, user)
    becomes_active = state.active and membership.status == MemberStatus.DEACTIVATED
    if changed or becomes_active or (not state.active and membership.status != MemberStatus.DEACTIVATED):
        require_over(actor, user, "update")  # nobody edits a member holding more than they could grant
    if changed:
        _update_profile(actor, user, state, changed)
    if not state.active and membership.status != MemberStatus.DEACTIVATED:
        _deactivate(actor, user)
    elif becomes_active:
        _reactivate(actor, user)
    return user


def _update_profile(actor: ScimActor, user: User, state: UserState, changed: list[str]) -> None:
    if "userName" in changed and _user_name_taken(state.user_name, but=user):
        raise ScimError(409, "userName: another member has this userName.", "uniqueness")
    with transaction.atomic():
        user.username = state.user_name
        user.first_name, user.last_name = state.given_name, state.family_name
        user.email = state.email or user.email
        user.save(update_fields=["username", "first_name", "last_name", "email"])
        ScimIdentity.objects.update_or_create(organization=actor.organization, user=user, defaults={
            "external_id": state.external_id, "email_primary": state.email_primary})  # fmt: skip
        record(actor=actor, event_type="user.updated", resource=f"user/{user.public_id}", resource_id=user.public_id,
               details={"via": "scim", "attributes": changed})  # fmt: skip


def _membership(actor: ScimActor, user: User) -> Membership:
    membership = Membership.objects.filter(organization=actor.organization, user=user).first()
    if membership is None:
        raise ScimError(404, "No such User.")
    return membership


def _deactivate(actor: ScimActor, user: User) -> None:
    """The console's offboarding for an active member; an invited one has their invitation revoked."""
    membership = _membership(actor, user)
    if membership.status == MemberStatus.ACTIVE:
        user_deactivate(actor=actor, user=user)
        return
    pending = Invitation.objects.filter(organization=actor.organization, user=user, status=InvitationStatus.PENDING)
    for invitation in pending:
        invitation_revoke(actor=actor, invitation=invitation)


def _reactivate(actor: ScimActor, user: User) -> None:
    """A member who had a password signs in with it again (revoked keys stay revoked); one who never accepted
    is invited again."""
    if user.has_usable_password():
        user_reactivate(actor=actor, user=user)
        return
    if not user.email:
        raise ScimError(400, "emails: the member needs an e-mail address to be invited again.", "invalidValue")
    invitation_create(actor=actor, email=user.email, first_name=user.first_name, last_name=user.last_name)


def scim_user_delete(*, actor: ScimActor, user: User) -> None:
    """RFC 7644 §3.6 delete: the member is deactivated (offboarded) and no longer shown to SCIM; the user row,
    membership and audit history stay."""
    authorize(actor, "user:manage", organization_resource(actor))
    membership = _membership(actor, user)
    if membership.status != MemberStatus.DEACTIVATED:
        require_over(actor, user, "delete")
        _deactivate(actor, user)
    with transaction.atomic():
        ScimIdentity.objects.update_or_create(organization=actor.organization, user=user,
                                              defaults={"deleted_at": timezone.now()})  # fmt: skip
        record(actor=actor, event_type="user.deprovisioned", resource=f"user/{user.public_id}",
               resource_id=user.public_id, details={"via": "scim", "erased": False})  # fmt: skip
