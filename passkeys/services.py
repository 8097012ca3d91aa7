"""Passkeys as a second factor beside TOTP: enrol one (named), use it at the MFA step, rename it, remove it.

Each ceremony is two requests: `*_begin` sends the browser the options with a fresh challenge and keeps the
expected state in the session; `*_complete` takes that state out of the session before anything else (so a
response can be tried once) and has py_webauthn verify the challenge, origin, RP ID hash, user presence,
signature and sign counter. Every outcome is audited; details carry ids and reason codes, never credential
ids, keys, signatures or names typed by the user."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Any

import structlog
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django_otp import login as otp_login
from django_otp import user_has_device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp_webauthn.exceptions import CredentialDisabled, OTPWebAuthnApiError
from django_otp_webauthn.models import WebAuthnCredential
from django_otp_webauthn.utils import rewrite_exceptions

from accessctl.actor import Actor, NoOrganization, actor_for_request
from accessctl.extensions import record
from accessctl.mfa import backup_codes_regenerate, has_second_factor, mfa_satisfied
from accessctl.models import User
from accessctl.selectors import organization_of
from passkeys.errors import PasskeyError
from passkeys.relying_party import PasskeyHelper, expected_origin

log = structlog.get_logger(__name__)

REGISTRATION_STATE = "passkeys.registration"
AUTHENTICATION_STATE = "passkeys.authentication"
MAX_PASSKEYS = 10
NAME_MAX_LENGTH = 64  # django-otp's Device.name
SIGN_COUNT_REASON = "sign_count_not_increased"
# Input that py_webauthn's parsers reject with a plain Python error rather than one of its own.
MALFORMED_INPUT = (ValueError, TypeError, KeyError, AttributeError)


@dataclass(frozen=True)
class Enrolled:
    passkey: Any  # WebAuthnCredential (the library is untyped)
    backup_codes: list[str]  # new codes when the user had none left, shown once


def passkeys_of(user: User) -> QuerySet[Any]:
    passkeys: QuerySet[Any] = WebAuthnCredential.objects.filter(user=user, confirmed=True)
    return passkeys.order_by("created_at", "pk")


def passkey_name_clean(name: object, *, user: User, keep_id: int | None = None) -> str:
    """A name the user will recognise the passkey by: 1 to 64 printable characters, unique among theirs."""
    if not isinstance(name, str) or not name.strip():
        raise PasskeyError(400, "name_required", "Name the passkey, for example after its device.", field="name")
    cleaned = " ".join(name.split())
    if len(cleaned) > NAME_MAX_LENGTH:
        raise PasskeyError(400, "name_too_long", f"Use at most {NAME_MAX_LENGTH} characters.", field="name")
    if any(unicodedata.category(char).startswith("C") for char in cleaned):
        raise PasskeyError(400, "name_invalid", "Use letters, digits, spaces and punctuation only.", field="name")
    if passkeys_of(user).filter(name__iexact=cleaned).exclude(pk=keep_id).exists():
        raise PasskeyError(400, "name_taken", "You already have a passkey with this name.", field="name")
    return cleaned


def _require_verified_if_enrolled(request: HttpRequest, user: User) -> None:
    """Adding a factor needs the current one first, or a stolen password could add the thief's passkey."""
    if user_has_device(user, confirmed=True) and not mfa_satisfied(request):
        raise PasskeyError(403, "verify_first", "Verify with your current second factor before adding a passkey.")


def _take_state(request: HttpRequest, key: str) -> Any:
    state = request.session.pop(key, None)
    request.session.save()  # gone for good, even if verification below fails
    if not state:
        raise PasskeyError(
            400, "invalid_state", "This passkey request expired or was already used. Start again.", field="credential"
        )
    return state


def _member_actor(request: HttpRequest) -> Actor | None:
    try:
        return actor_for_request(request)
    except NoOrganization:  # an operator without an organisation: the event names the user instead
        return None


def _audit(
    request: HttpRequest, user: User, event_type: str, *, as_member: bool, outcome: str = "success", **details: Any
) -> None:
    """At the MFA step the session is not verified yet, so the event has no acting member (as for TOTP)."""
    record(
        actor=_member_actor(request) if as_member else None,
        request=request,
        organization=organization_of(user),
        user=user,
        event_type=event_type,
        resource=f"user/{user.public_id}",
        resource_id=user.public_id,
        outcome=outcome,
        details={"device": "passkey", **details},
    )


def _refusal(exc: OTPWebAuthnApiError) -> PasskeyError:
    code = str(exc.code)
    cause = str(exc.__cause__ or "")
    # py_webauthn refuses a counter that did not go up (a cloned authenticator, or a replayed response).
    if cause.startswith("Response sign count"):
        code = SIGN_COUNT_REASON
        return PasskeyError(403, code, "This passkey's signature counter went backwards, so it was refused.")
    return PasskeyError(int(exc.status_code), code, str(exc.detail), field="credential")


def passkey_registration_begin(*, request: HttpRequest, user: User, name: object) -> dict[str, Any]:
    """The options for `navigator.credentials.create()`; the name is kept for `passkey_registration_complete`."""
    cleaned = passkey_name_clean(name, user=user)
    _require_verified_if_enrolled(request, user)
    if passkeys_of(user).count() >= MAX_PASSKEYS:
        raise PasskeyError(400, "too_many", f"You have {MAX_PASSKEYS} passkeys: remove one first.", field="name")
    expected_origin(request)  # refuse a page no browser would offer passkeys to, before any challenge
    options, state = PasskeyHelper(request).register_begin(user=user)
    request.session[REGISTRATION_STATE] = {"state": state, "name": cleaned}
    return dict(options)


def passkey_registration_complete(*, request: HttpRequest, user: User, credential: object) -> Enrolled:
    """Verify the authenticator's attestation and keep its public key; audited as `auth.mfa.enrolled`. The
    first second factor also gets backup codes, and a session that was not verified yet counts as verified
    with the new passkey (as after confirming an authenticator app)."""
    pending = _take_state(request, REGISTRATION_STATE)
    _require_verified_if_enrolled(request, user)
    try:
        with transaction.atomic():
            with rewrite_exceptions(logger=None):
                passkey = PasskeyHelper(request).register_complete(user=user, state=pending["state"], data=credential)
            passkey.name = passkey_name_clean(pending["name"], user=user, keep_id=passkey.pk)
            passkey.save(update_fields=["name"])
            had_codes = StaticToken.objects.filter(device__user=user).exists()
            codes = [] if had_codes else backup_codes_regenerate(user=user)
            _audit(request, user, "auth.mfa.enrolled", as_member=True, passkey=passkey.pk, backup_codes=len(codes))
    except OTPWebAuthnApiError as exc:
        refusal = _refusal(exc)
    except IntegrityError:  # the same credential is already registered (to this account or another)
        refusal = PasskeyError(400, "already_registered", "This passkey is already registered.", field="credential")
    except MALFORMED_INPUT:
        refusal = PasskeyError(400, "invalid_credential", "The passkey response is malformed.", field="credential")
    else:
        if not mfa_satisfied(request):
            otp_login(request, passkey)
        return Enrolled(passkey=passkey, backup_codes=codes)
    _audit(request, user, "auth.mfa.enrolment_failed", as_member=True, outcome="denied", reason=refusal.code)
    log.info("passkeys.registration_refused", reason=refusal.code)
    raise refusal


def passkey_authentication_begin(*, request: HttpRequest, user: User) -> dict[str, Any]:
    """The options for `navigator.credentials.get()`, naming this user's passkeys only."""
    if not passkeys_of(user).exists():
        raise PasskeyError(400, "no_passkey", "You have no passkey. Use your authenticator app or a backup code.")
    expected_origin(request)
    options, state = PasskeyHelper(request).authenticate_begin(user=user, require_user_verification=False)
    request.session[AUTHENTICATION_STATE] = state
    return dict(options)


def passkey_authentication_complete(*, request: HttpRequest, user: User, credential: object) -> Any:
    """Verify the assertion against the user's stored public key and counter; the session is MFA-verified.
    Audited as `auth.mfa.succeeded` or `auth.mfa.failed` (with the reason: unknown or removed credential,
    another user's, wrong origin or RP ID, bad signature, counter not increased)."""
    state = _take_state(request, AUTHENTICATION_STATE)
    try:
        with transaction.atomic():
            with rewrite_exceptions(logger=None):
                passkey = PasskeyHelper(request).authenticate_complete(user=user, state=state, data=credential)
            if not passkey.confirmed:
                raise CredentialDisabled()
            _audit(request, user, "auth.mfa.succeeded", as_member=False, passkey=passkey.pk)
    except OTPWebAuthnApiError as exc:
        refusal = _refusal(exc)
    except MALFORMED_INPUT:
        refusal = PasskeyError(400, "invalid_credential", "The passkey response is malformed.", field="credential")
    else:
        otp_login(request, passkey)
        return passkey
    _audit(request, user, "auth.mfa.failed", as_member=False, outcome="denied", reason=refusal.code)
    log.info("passkeys.authentication_refused", reason=refusal.code)
    raise refusal


def passkey_get(*, user: User, passkey_id: int) -> Any:
    passkey = passkeys_of(user).filter(pk=passkey_id).first()
    if passkey is None:
        raise PasskeyError(404, "not_found", "No such passkey.")
    return passkey


def passkey_rename(*, actor: Actor, passkey_id: int, name: object) -> Any:
    user = actor.user
    assert user is not None  # noqa: S101 - a console member
    with transaction.atomic():
        passkey = passkey_get(user=user, passkey_id=passkey_id)
        passkey.name = passkey_name_clean(name, user=user, keep_id=passkey.pk)
        passkey.save(update_fields=["name"])
        record(actor=actor, event_type="auth.mfa.device_renamed", resource=f"user/{user.public_id}",
               resource_id=user.public_id, details={"device": "passkey", "passkey": passkey.pk})  # fmt: skip
    return passkey


def passkey_remove(*, actor: Actor, request: HttpRequest, passkey_id: int, current_password: str) -> bool:
    """Needs an MFA-verified session and the current password (as removing an authenticator app does). With
    no authenticator app or passkey left, the backup codes go too; where the organisation requires MFA, the
    next page asks to enrol again. Returns whether this session was verified with the passkey removed: then
    it is verified no longer (django-otp finds no device), and the next page asks for another factor."""
    user = actor.user
    assert user is not None  # noqa: S101 - a console member
    passkey = passkey_get(user=user, passkey_id=passkey_id)
    if not mfa_satisfied(request):
        raise PasskeyError(403, "verify_first", "Verify with your second factor before removing a passkey.")
    if not current_password or not user.check_password(current_password):
        record(actor=actor, event_type="auth.mfa.removal_refused", outcome="denied",
               details={"device": "passkey", "reason": "wrong_password"})  # fmt: skip
        raise PasskeyError(
            400, "wrong_password", "The current password is wrong; the passkey was kept.", field="current_password"
        )
    session_device = getattr(request.user, "otp_device", None)
    verified_with_it = session_device is not None and session_device.persistent_id == passkey.persistent_id
    with transaction.atomic():
        removed_id = passkey.pk
        passkey.delete()
        if not has_second_factor(user):
            StaticDevice.objects.filter(user=user).delete()  # backup codes back up a second factor
        record(actor=actor, event_type="auth.mfa.device_removed", resource=f"user/{user.public_id}",
               resource_id=user.public_id, details={"device": "passkey", "passkey": removed_id})  # fmt: skip
    return verified_with_it
