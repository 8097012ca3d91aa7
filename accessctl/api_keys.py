"""API keys for SDKs: issue (secret shown once), authenticate (`Authorization: Bearer`), revoke."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from accessctl.extensions import record
from accessctl.flood import REFUSE_AFTER, WINDOW_S, failure_count, repeats_to_record
from accessctl.models import ApiKey, Membership, Role, RoleAssignment, User
from accessctl.policy import refuse_grant
from core.errors import FieldError
from core.network import client_ip

if TYPE_CHECKING:
    from accessctl.actor import Actor
    from accessctl.models import Organization

TOKEN_PREFIX = "psk"  # noqa: S105 - the token scheme name, not a secret
LAST_USED_PRECISION = timedelta(minutes=1)  # don't write a row on every request


class ApiKeyError(FieldError):
    """The key cannot be issued as asked; the message names the field."""


def _hash(secret: str) -> str:
    # Secrets are 256-bit random: a plain SHA-256 cannot be brute-forced, so no slow KDF is needed.
    return hashlib.sha256(secret.encode()).hexdigest()


def api_key_issue(
    *,
    actor: Actor | None,
    organization: Organization,
    user: User,
    name: str,
    role: Role | None = None,
    expires_at: datetime | None = None,
) -> tuple[ApiKey, str]:
    """A new key for `user`; returns it with the full token, which is never stored or shown again.

    Keys are issued only to oneself (an administrator who could mint a key for someone else would act as
    them). A key may issue a key, but never a broader one: a key narrowed to a role issues keys narrowed to
    the same role, and none outlives it. No actor: the operator's `manage.py create_api_key`.
    """
    if actor is not None:
        if actor.user is None or actor.user.pk != user.pk:
            refuse_grant(actor, "role:manage", f"user/{user.public_id}", "key_for_other_user",
                         "API keys are issued only to the person who will use them.")  # fmt: skip
        role, expires_at = _within_issuing_key(actor, role, expires_at)
        if role is not None and not RoleAssignment.objects.filter(role=role, user=user).exists():
            refuse_grant(actor, "role:manage", f"role/{role.name}", "key_role_not_held",
                         "A key can only be narrowed to a role you hold.")  # fmt: skip
    return _api_key_create(
        actor=actor, organization=organization, user=user, name=name, role=role, expires_at=expires_at
    )


def _within_issuing_key(
    actor: Actor, role: Role | None, expires_at: datetime | None
) -> tuple[Role | None, datetime | None]:
    """The role and expiry of a key issued through another key: no broader, no longer-lived than it."""
    parent = actor.api_key
    if parent is None:
        return role, expires_at
    if parent.role_id is not None:
        if role is None:
            role = parent.role
        elif role.pk != parent.role_id:
            refuse_grant(actor, "role:manage", f"api-key/{parent.prefix}", "broader_than_issuing_key",
                         f"This key is narrowed to {parent.role.name if parent.role else 'a role'}; "
                         "it can only issue keys narrowed to the same role.")  # fmt: skip
    if parent.expires_at is not None:
        if expires_at is None:
            expires_at = parent.expires_at
        elif expires_at > parent.expires_at:
            raise ApiKeyError("expires_at", "A key cannot outlive the key that issues it.")
    return role, expires_at


@transaction.atomic
def _api_key_create(
    *,
    actor: Actor | None,
    organization: Organization,
    user: User,
    name: str,
    role: Role | None,
    expires_at: datetime | None,
) -> tuple[ApiKey, str]:
    if not name.strip():
        raise ApiKeyError("name", "Give the key a name.")
    if not Membership.objects.filter(organization=organization, user=user, is_active=True).exists():
        raise ApiKeyError("user_id", "The user is not a member of this organisation.")
    if role is not None and not RoleAssignment.objects.filter(role=role, user=user).exists():
        raise ApiKeyError("role_name", "A key can only be narrowed to a role its user holds.")
    if expires_at is not None and expires_at <= timezone.now():
        raise ApiKeyError("expires_at", "The expiry must be in the future.")
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    key = ApiKey.objects.create(
        organization=organization,
        user=user,
        name=name.strip()[:100],
        prefix=prefix,
        secret_hash=_hash(secret),
        role=role,
        expires_at=expires_at,
    )
    record(
        actor=actor,
        organization=organization,
        user=user,
        event_type="api_key.created",
        resource=f"api-key/{key.prefix}",
        resource_id=key.public_id,
        details={"user_id": user.public_id, "role": role.name if role else None, "expires": expires_at is not None},
    )
    return key, f"{TOKEN_PREFIX}_{prefix}_{secret}"


@transaction.atomic
def api_key_revoke(*, actor: Actor, key: ApiKey) -> ApiKey:
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
        record(actor=actor, event_type="api_key.revoked", resource=f"api-key/{key.prefix}", resource_id=key.public_id)
    return key


def api_key_for_token(token: str) -> ApiKey | None:
    """The live key a token names, or None (unknown, wrong secret, revoked, expired, user inactive or no longer
    a member). Read from the database on every call: a revocation takes effect on the next request."""
    parts = token.split("_", 2)  # the url-safe secret may itself contain "_"
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX:
        return None
    _, prefix, secret = parts
    key = ApiKey.objects.select_related("user", "organization", "role").filter(prefix=prefix).first()
    if key is None or not hmac.compare_digest(key.secret_hash, _hash(secret)):
        return None
    now = timezone.now()
    if key.revoked_at is not None or (key.expires_at is not None and key.expires_at <= now):
        return None
    if not key.user.is_active:
        return None
    # A key acts in its organisation only while its user is still an active member there.
    if not Membership.objects.filter(organization_id=key.organization_id, user_id=key.user_id, is_active=True).exists():
        return None
    if key.last_used_at is None or now - key.last_used_at > LAST_USED_PRECISION:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
    return key


def _claimed_prefix(token: str) -> str:
    """The public prefix a failed token claimed (never its secret part), for investigations."""
    parts = token.strip().split("_", 2)
    return parts[1][:16] if len(parts) == 3 and parts[0] == TOKEN_PREFIX else ""


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer psk_<prefix>_<secret>`; a failure is a 401 and an audited `auth.api_key.failed`."""

    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[User, ApiKey] | None:
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header:
            return None
        scheme, _, token = header.partition(" ")
        if scheme.lower() != self.keyword.lower():
            return None
        source = client_ip(request._request)
        if failure_count("auth.api_key.failed", source) >= REFUSE_AFTER:
            raise exceptions.Throttled(wait=WINDOW_S, detail="Too many invalid API keys from your address.")
        key = api_key_for_token(token.strip())
        if key is None:
            repeats = repeats_to_record("auth.api_key.failed", source)
            if repeats:  # the 1st, 2nd, 4th, 8th... of a minute from one address, with the count
                record(
                    actor=None,
                    request=request._request,
                    event_type="auth.api_key.failed",
                    outcome="denied",
                    details={"prefix": _claimed_prefix(token), "repeats": repeats},
                )
            raise exceptions.AuthenticationFailed("Invalid, expired or revoked API key.")
        request._request.api_key = key  # type: ignore[attr-defined]
        return key.user, key

    def authenticate_header(self, request: Request) -> str:
        return f'{self.keyword} realm="paitient"'


def api_key_summary(key: ApiKey) -> dict[str, Any]:
    return {
        "id": key.public_id,
        "name": key.name,
        "prefix": key.prefix,
        "user_id": key.user.public_id,
        "role_name": key.role.name if key.role else None,
        "expires_at": key.expires_at,
        "last_used_at": key.last_used_at,
        "revoked_at": key.revoked_at,
        "created_at": key.created_at,
    }
