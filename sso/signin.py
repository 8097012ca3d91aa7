"""Signing a member in from a verified ID token: find them by their IdP subject (or, the first time, by their
verified e-mail address), create them just in time when the organisation allows it, refuse deactivated
members and disallowed addresses, apply the claim → role mapping, and audit `auth.sso_login` either way
(with a reason code, never a token). Also the rule that members of an SSO-only organisation do not sign in
with a password."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from accessctl.extensions import record
from accessctl.models import Membership, MemberStatus, Organization, Role, RoleAssignment, User
from accessctl.policy import ADMIN_ROLE
from accessctl.security import settings_for
from accessctl.selectors import active_membership_for_user
from accessctl.services import is_last_admin, role_assign, user_create
from core.network import client_ip, ip_allowed
from sso.models import OidcConfiguration, SsoIdentity
from sso.oidc import SsoFailure

EVENT = "auth.sso_login"
# RFC 8176 authentication method references: "mfa" says so outright; otherwise a knowledge factor together
# with a possession or inherence factor is two factors.
KNOWLEDGE = frozenset({"pwd", "pin", "kba"})
POSSESSION_OR_INHERENCE = frozenset({"otp", "hwk", "swk", "sms", "tel", "sc", "fpt", "face", "iris", "retina", "vbm"})


class SsoRefused(SsoFailure):
    """A refusal about a known person (deactivated, invitation pending, address not allowed)."""

    def __init__(self, reason: str, message: str, user: User) -> None:
        super().__init__(reason, message)
        self.user = user


@dataclass(frozen=True)
class SsoSignIn:
    user: User
    mfa_by_idp: bool
    created: bool
    roles_added: list[str]
    roles_removed: list[str]


def configuration_for_login(identifier: str) -> OidcConfiguration | None:
    """The enabled configuration for an e-mail address (by its domain) or an organisation's slug."""
    identifier = identifier.strip().lower()
    enabled = OidcConfiguration.objects.filter(enabled=True).select_related("organization")
    if "@" not in identifier:
        return enabled.filter(organization__slug=identifier).first()
    domain = identifier.rsplit("@", 1)[1]
    return next((config for config in enabled if domain in config.allowed_domains), None)


def mfa_by_idp(claims: dict[str, Any]) -> bool:
    amr = claims.get("amr")
    methods = {str(m) for m in amr} if isinstance(amr, list) else set()
    return "mfa" in methods or bool(methods & KNOWLEDGE and methods & POSSESSION_OR_INHERENCE)


def claim_values(claims: dict[str, Any], name: str) -> set[str]:
    value = claims.get(name)
    if isinstance(value, str):
        return {value}
    if isinstance(value, list):
        return {str(item) for item in value if isinstance(item, str | int)}
    return set()


def failure_record(
    *, request: HttpRequest, organization: Organization | None, reason: str, user: User | None = None
) -> None:
    record(
        actor=None,
        request=request,
        organization=organization,
        user=user,
        event_type=EVENT,
        resource=f"user/{user.public_id}" if user is not None else "",
        outcome="denied",
        details={"reason": reason},
    )


def _free_username(email: str) -> str:
    base = email[:140]
    candidate, n = base, 1
    while User.objects.filter(username__iexact=candidate).exists():
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def _find_or_create(config: OidcConfiguration, claims: dict[str, Any]) -> tuple[User, SsoIdentity, bool]:
    organization = config.organization
    subject = str(claims["sub"])
    identity = (
        SsoIdentity.objects.select_for_update()
        .filter(organization=organization, issuer=config.issuer, subject=subject)
        .select_related("user")
        .first()
    )
    if identity is not None:
        return identity.user, identity, False
    verified = claims.get("email_verified") is not False  # an IdP that says "unverified" is not trusted on it
    email = str(claims.get("email") or "").strip().lower() if verified else ""
    if "@" not in email:
        raise SsoFailure("email_missing", "The identity provider sent no verified e-mail address for you.")
    domain = email.rsplit("@", 1)[1]
    if config.allowed_domains and domain not in config.allowed_domains:
        raise SsoFailure("domain_not_allowed", "Your e-mail domain may not sign in to this organisation.")
    members = list(
        Membership.objects.filter(organization=organization, user__email__iexact=email).select_related("user")[:2]
    )
    if len(members) > 1:
        raise SsoFailure("email_ambiguous", "Two accounts here share your e-mail address; ask an administrator.")
    created = False
    if members:
        user = members[0].user
        if SsoIdentity.objects.filter(organization=organization, issuer=config.issuer, user=user).exists():
            # Bound to another subject of this IdP already: a reused address must not take the account over.
            raise SsoRefused("subject_mismatch", "This account is linked to another identity-provider user.", user)
    elif config.jit_provisioning:
        user = user_create(organization=organization, username=_free_username(email), email=email, password=None)
        user.first_name = str(claims.get("given_name") or "")[:150]
        user.last_name = str(claims.get("family_name") or "")[:150]
        user.save(update_fields=["first_name", "last_name"])
        created = True
    else:
        raise SsoFailure("unknown_user", "You have no account in this organisation; ask an administrator for one.")
    identity = SsoIdentity.objects.create(organization=organization, user=user, issuer=config.issuer, subject=subject)
    return user, identity, created


def _sync_roles(config: OidcConfiguration, user: User, claims: dict[str, Any]) -> tuple[list[str], list[str]]:
    """Make the member's mapped roles exactly those their claim values map to; roles outside the mapping are
    the administrators' business and stay. The organisation's last org-admin keeps the role."""
    organization = config.organization
    values = claim_values(claims, config.role_claim)
    mapped = {item["role"] for item in config.role_mapping}
    wanted = {item["role"] for item in config.role_mapping if item["value"] in values}
    roles = {role.name: role for role in Role.objects.filter(organization=organization, name__in=mapped)}
    assignments = RoleAssignment.objects.filter(organization=organization, user=user, role__name__in=mapped)
    held = set(assignments.values_list("role__name", flat=True))
    added = sorted(name for name in wanted - held if name in roles)
    for name in added:
        role_assign(actor=None, organization=organization, user=user, role=roles[name])
    removed: list[str] = []
    for name in sorted(held - wanted):
        if name == ADMIN_ROLE and is_last_admin(organization=organization, user=user):
            continue
        RoleAssignment.objects.filter(organization=organization, user=user, role__name=name).delete()
        record(
            actor=None,
            organization=organization,
            user=user,
            event_type="role.unassigned",
            resource=f"role/{name}",
            resource_id=user.public_id,
            details={"user_id": user.public_id, "role": name, "via": "sso"},
        )
        removed.append(name)
    return added, removed


def _sign_in(request: HttpRequest, config: OidcConfiguration, claims: dict[str, Any]) -> SsoSignIn:
    organization = config.organization
    user, identity, created = _find_or_create(config, claims)
    membership = Membership.objects.filter(organization=organization, user=user).first()
    if membership is None or membership.status == MemberStatus.DEACTIVATED or not user.is_active:
        raise SsoRefused("member_deactivated", f"Your account in {organization.name} is deactivated.", user)
    if membership.status == MemberStatus.INVITED:
        raise SsoRefused("invitation_pending", "Accept your e-mailed invitation before signing in.", user)
    if not ip_allowed(client_ip(request), settings_for(organization).ip_restrictions):
        raise SsoRefused("ip_restriction", "Your address is not in the organisation's allowed networks.", user)
    added, removed = _sync_roles(config, user, claims)
    identity.last_login_at = timezone.now()
    identity.save(update_fields=["last_login_at"])
    mfa = mfa_by_idp(claims)
    record(
        actor=None,
        request=request,
        organization=organization,
        user=user,
        event_type=EVENT,
        resource=f"user/{user.public_id}",
        details={"jit_created": created, "mfa_by_idp": mfa, "roles_added": added, "roles_removed": removed},
    )
    return SsoSignIn(user=user, mfa_by_idp=mfa, created=created, roles_added=added, roles_removed=removed)


def sso_sign_in(*, request: HttpRequest, config: OidcConfiguration, claims: dict[str, Any]) -> SsoSignIn:
    """Everything a successful sign-in changes, in one transaction with its audit event; a refusal changes
    nothing and is audited outside it (so the record stays)."""
    try:
        with transaction.atomic():
            return _sign_in(request, config, claims)
    except SsoFailure as failure:
        user = failure.user if isinstance(failure, SsoRefused) else None
        failure_record(request=request, organization=config.organization, reason=failure.reason, user=user)
        raise


def password_sign_in_refused(*, request: HttpRequest, user: User) -> bool:
    """A member of an organisation that requires SSO may not sign in with a password, except its named
    break-glass administrator; a refusal is audited as a failed sign-in."""
    membership = active_membership_for_user(user)
    if membership is None:
        return False
    config = OidcConfiguration.objects.filter(organization=membership.organization, enabled=True).first()
    if config is None or not config.require_sso or config.break_glass_user_id == user.pk:
        return False
    record(
        actor=None,
        request=request,
        organization=membership.organization,
        user=user,
        event_type="auth.login.failed",
        resource=f"user/{user.username}",
        outcome="denied",
        details={"reason": "sso_required"},
    )
    return True
