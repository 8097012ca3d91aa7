"""Multi-factor authentication with django-otp: TOTP (with QR enrolment) and single-use backup codes."""

from __future__ import annotations

import secrets
from io import BytesIO
from typing import TYPE_CHECKING

import qrcode
import qrcode.image.svg
from django.db import transaction
from django.http import HttpRequest
from django_otp import devices_for_user, user_has_device
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accessctl.extensions import record
from accessctl.models import SecuritySettings, User
from accessctl.selectors import organization_of

if TYPE_CHECKING:
    from accessctl.actor import Actor

BACKUP_CODES = 10
# Set in the session by single sign-on (sso/views.py) when the IdP's verified ID token says it used MFA (`amr`):
# that meets the organisation's requirement without our own second step.
IDP_MFA_SESSION_KEY = "mfa_by_identity_provider"


def mfa_required_for(user: User, policy: SecuritySettings | None) -> bool:
    """MFA is needed when the organisation requires it or the user has enrolled a device."""
    return (policy is not None and policy.require_mfa) or user_has_device(user, confirmed=True)


def has_second_factor(user: User) -> bool:
    """An authenticator app or a passkey (any confirmed django-otp device but backup codes, which only back
    one of them up)."""
    return any(not isinstance(device, StaticDevice) for device in devices_for_user(user, confirmed=True))


def mfa_satisfied(request: HttpRequest) -> bool:
    if getattr(request.user, "is_verified", lambda: False)():
        return True
    session = getattr(request, "session", None)
    return session is not None and session.get(IDP_MFA_SESSION_KEY) is True


def totp_device_pending(user: User) -> TOTPDevice:
    """The user's unconfirmed TOTP device, created on first use (its key is shown once as a QR code)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)
    return device


def qr_svg(url: str) -> str:
    image = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    buffer = BytesIO()
    image.save(buffer)
    return buffer.getvalue().decode()


@transaction.atomic
def totp_confirm(*, actor: Actor, request: HttpRequest, device: TOTPDevice, token: str) -> list[str] | None:
    """Confirm enrolment with a code from the app; returns fresh backup codes, or None if the code is wrong."""
    user = device.user
    if not device.verify_token(token.strip()):
        record(actor=actor, event_type="auth.mfa.enrolment_failed", outcome="denied")
        return None
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    TOTPDevice.objects.filter(user=user, confirmed=True).exclude(pk=device.pk).delete()
    codes = backup_codes_regenerate(user=user)
    otp_login(request, device)
    record(actor=actor, event_type="auth.mfa.enrolled", details={"device": "totp", "backup_codes": len(codes)})
    return codes


def backup_codes_regenerate(*, user: User) -> list[str]:
    static, _ = StaticDevice.objects.get_or_create(user=user, defaults={"name": "Backup codes", "confirmed": True})
    static.token_set.all().delete()
    codes = [f"{secrets.randbelow(10**8):08d}" for _ in range(BACKUP_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=static, token=code) for code in codes)
    return codes


def mfa_verify(*, request: HttpRequest, user: User, token: str) -> bool:
    """Check a TOTP or backup code for the signed-in user; audited either way."""
    token = token.strip().replace(" ", "")
    # Six digits are an app code, eight a backup code: trying only the matching kind keeps a backup
    # code from counting as a failed attempt against the app (django-otp throttles per device).
    devices: list[TOTPDevice | StaticDevice] = (
        list(TOTPDevice.objects.filter(user=user, confirmed=True))
        if len(token) == 6
        else list(StaticDevice.objects.filter(user=user))
    )
    for device in devices:
        if device.verify_is_allowed()[0] and device.verify_token(token):
            otp_login(request, device)
            kind = "totp" if isinstance(device, TOTPDevice) else "backup_code"
            record(
                actor=None,
                request=request,
                organization=organization_of(user),
                user=user,
                event_type="auth.mfa.succeeded",
                details={"device": kind},
            )
            return True
    record(
        actor=None,
        request=request,
        organization=organization_of(user),
        user=user,
        event_type="auth.mfa.failed",
        outcome="denied",
    )
    return False
