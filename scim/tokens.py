"""SCIM tokens: issue (secret shown once), revoke, authenticate; the actor a token acts as."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from accessctl.actor import Actor
from accessctl.extensions import record
from accessctl.models import Membership, User
from accessctl.policy import authorize, organization_resource
from core.errors import FieldError
from core.middleware import request_id_of
from core.network import client_ip
from scim.models import ScimToken

TOKEN_SCHEME = "scim"  # noqa: S105 - the bearer value's prefix, not a secret
LAST_USED_PRECISION = timedelta(minutes=1)


class ScimTokenError(FieldError):
    """The token cannot be issued as asked; `field` names the input."""


@dataclass(frozen=True)
class ScimActor(Actor):
    """A SCIM token acting for its issuer: the policy sees the issuer's roles, the audit log records the token
    (`actor_type` api_key, `actor_id` the token's `scim_…` id, `user_id` the issuer)."""

    scim_token: ScimToken | None = None

    @property
    def api_key_id(self) -> str:
        return self.scim_token.public_id if self.scim_token is not None else ""

    @property
    def label(self) -> str:
        return f"scim token {self.scim_token.name}" if self.scim_token is not None else "system"


def _hash(secret: str) -> str:
    # 256-bit random secrets: a plain SHA-256 cannot be brute-forced, so no slow KDF is needed.
    return hashlib.sha256(secret.encode()).hexdigest()


def scim_token_issue(*, actor: Actor, name: str) -> tuple[ScimToken, str]:
    """A token for an identity provider, acting within the issuer's permissions; returns it with the bearer
    value, which is never stored or shown again. Needs `user:manage`; a SCIM token never issues another."""
    authorize(actor, "user:manage", organization_resource(actor))
    if actor.user is None or isinstance(actor, ScimActor):
        raise ScimTokenError("name", "SCIM tokens are issued by a member, not by another SCIM token.")
    label = name.strip()
    if not label:
        raise ScimTokenError("name", "Name the identity provider connection, e.g. okta-production.")
    if len(label) > 100:
        raise ScimTokenError("name", "Use at most 100 characters.")
    with transaction.atomic():
        if ScimToken.objects.filter(organization=actor.organization, name=label, revoked_at__isnull=True).exists():
            raise ScimTokenError("name", f"A live SCIM token named {label} exists; revoke it or choose another name.")
        prefix, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
        token = ScimToken.objects.create(
            organization=actor.organization, name=label, prefix=prefix, secret_hash=_hash(secret), issued_by=actor.user
        )
        record(actor=actor, event_type="scim_token.created", resource=f"scim-token/{token.prefix}",
               resource_id=token.public_id, details={"name": token.name})  # fmt: skip
    return token, f"{TOKEN_SCHEME}_{prefix}_{secret}"


def scim_token_revoke(*, actor: Actor, token: ScimToken) -> ScimToken:
    authorize(actor, "user:manage", organization_resource(actor))
    with transaction.atomic():
        locked = ScimToken.objects.select_for_update().get(pk=token.pk)
        if locked.revoked_at is None:
            locked.revoked_at = timezone.now()
            locked.save(update_fields=["revoked_at"])
            record(actor=actor, event_type="scim_token.revoked", resource=f"scim-token/{locked.prefix}",
                   resource_id=locked.public_id, details={"name": locked.name})  # fmt: skip
    return locked


def revoke_tokens_of_offboarded(actor: Actor, user: User) -> dict[str, int]:
    """Offboarding step: the tokens a deactivated member issued stop with them (a token never outlives its
    issuer's authority). Runs inside the deactivation's transaction, which audits the count."""
    tokens = ScimToken.objects.filter(organization=actor.organization, issued_by=user, revoked_at__isnull=True)
    for token in tokens:
        record(actor=actor, event_type="scim_token.revoked", resource=f"scim-token/{token.prefix}",
               resource_id=token.public_id, details={"name": token.name, "reason": "issuer_deactivated"})  # fmt: skip
    count = tokens.update(revoked_at=timezone.now())
    return {"scim_tokens_revoked": count} if count else {}  # only issuers of tokens have the line


def scim_token_for_bearer(value: str) -> ScimToken | None:
    """The live token the bearer value names, or None (unknown, wrong secret, revoked, issuer no longer an
    active member). Read on every request: a revocation takes effect at once."""
    parts = value.split("_", 2)  # the url-safe secret may itself contain "_"
    if len(parts) != 3 or parts[0] != TOKEN_SCHEME:
        return None
    _, prefix, secret = parts
    token = ScimToken.objects.select_related("organization", "issued_by").filter(prefix=prefix).first()
    if token is None or not hmac.compare_digest(token.secret_hash, _hash(secret)) or token.revoked_at is not None:
        return None
    issuer = token.issued_by
    if (
        not issuer.is_active
        or not Membership.objects.filter(organization_id=token.organization_id, user=issuer, is_active=True).exists()
    ):
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_PRECISION:
        ScimToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token


def claimed_prefix(value: str) -> str:
    """The public prefix a refused bearer value claimed (never its secret), for investigations."""
    parts = value.strip().split("_", 2)
    return parts[1][:16] if len(parts) == 3 and parts[0] == TOKEN_SCHEME else ""


def actor_for_token(token: ScimToken, request: HttpRequest) -> ScimActor:
    return ScimActor(
        organization=token.organization,
        user=token.issued_by,
        ip=client_ip(request),
        user_agent=request.headers.get("User-Agent", "")[:300],
        request_id=request_id_of(request),
        scim_token=token,
    )
