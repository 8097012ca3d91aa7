"""Console: the MFA step at sign-in, and TOTP enrolment with a QR code and backup codes."""

from __future__ import annotations

import base64

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django_otp import user_has_device
from django_otp.plugins.otp_totp.models import TOTPDevice

from accessctl.actor import actor_for_request
from accessctl.forms import CodeForm
from accessctl.mfa import mfa_satisfied, mfa_verify, qr_svg, totp_confirm, totp_device_pending
from accessctl.models import User


def throttled(device: TOTPDevice | None) -> str | None:
    """What to say while django-otp refuses codes after repeated wrong ones: how long to wait."""
    if device is None:
        return None
    allowed, info = device.verify_is_allowed()
    if allowed:
        return None
    until = (info or {}).get("locked_until")
    wait = max(1, int((until - timezone.now()).total_seconds()) + 1) if until else None
    after = f"in {wait} second{'s' if wait != 1 else ''}" if wait else "in a moment"
    return f"Too many wrong codes: further codes are refused for now. Try again {after} with the current code."


def _safe_next(request: HttpRequest) -> str:
    target = request.GET.get("next") or request.POST.get("next") or "/"
    allowed = url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure())
    return target if allowed else "/"


@login_required
@never_cache
def mfa_step(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)  # noqa: S101 - login_required
    if mfa_satisfied(request):
        return redirect(_safe_next(request))
    if not user_has_device(user, confirmed=True):
        return redirect("mfa-setup")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        wait = throttled(TOTPDevice.objects.filter(user=user, confirmed=True).first())  # before this attempt
        if mfa_verify(request=request, user=user, token=form.cleaned_data["code"]):
            return redirect(_safe_next(request))
        form.add_error("code", wait or "That code is not valid. Try the current code, or a backup code.")
    return render(request, "accessctl/mfa_step.html", {"form": form, "next": _safe_next(request)})


@login_required
@never_cache
def mfa_setup(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)  # noqa: S101 - login_required
    if user_has_device(user, confirmed=True) and not mfa_satisfied(request):
        return redirect("mfa-verify")  # enrolling a new device needs the current one first
    device = totp_device_pending(user)
    form = CodeForm(request.POST or None)
    wait = throttled(device) if request.method == "POST" else None  # refused before this attempt was tried
    if request.method == "POST" and form.is_valid() and wait:
        form.add_error("code", wait)
    elif request.method == "POST" and form.is_valid():
        codes = totp_confirm(
            actor=actor_for_request(request), request=request, device=device, token=form.cleaned_data["code"]
        )
        if codes is not None:
            messages.success(request, "Authenticator app enrolled. Store the backup codes below somewhere safe.")
            return render(request, "accessctl/mfa_backup_codes.html", {"codes": codes})
        form.add_error("code", "That code does not match. Check the time on your phone and try the current code.")
    context = {
        "form": form,
        "qr_svg": qr_svg(device.config_url),
        "secret": base64.b32encode(device.bin_key).decode().rstrip("="),
        "enrolled": TOTPDevice.objects.filter(user=user, confirmed=True).exists(),
    }
    return render(request, "accessctl/mfa_setup.html", context)
