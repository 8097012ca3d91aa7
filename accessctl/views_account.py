"""Console pages of one's own account and the ways into it without one: accepting an invitation, the
self-service password reset (Django's views, audited), and the account page (change password, MFA devices,
backup codes). None of them signs anybody past MFA: after a reset the next sign-in asks for the second factor."""

from __future__ import annotations

import hashlib
from typing import Any

from django.contrib import messages
from django.contrib.auth import login, update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm, PasswordResetForm, SetPasswordForm
from django.contrib.auth.views import INTERNAL_RESET_SESSION_TOKEN
from django.contrib.sessions.models import Session
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from accessctl.console import member_actor
from accessctl.extensions import record
from accessctl.flood import failure_count, repeats_to_record
from accessctl.forms import ConfirmPasswordForm, NewPasswordForm
from accessctl.invitations import InvitationError, invitation_accept, invitation_for_token
from accessctl.mfa import backup_codes_regenerate, has_second_factor, mfa_satisfied
from accessctl.models import User, UserSession
from accessctl.offboarding import send_password_reset
from accessctl.selectors import organization_of
from core.forms import show_field_error
from core.network import client_ip

MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"
# Self-service reset requests a minute (accessctl/flood.py windows) before mail stops: per inbox, per address.
RESET_FLOOD = "auth.password_reset.requested"
RESETS_PER_INBOX = 3
RESETS_PER_IP = 20


@never_cache
def invitation_accept_page(request: HttpRequest) -> HttpResponse:
    token = request.GET.get("token", "")[:500]
    invitation = invitation_for_token(token)
    if invitation is None:
        return render(request, "accessctl/invitation_invalid.html", status=410)
    form = NewPasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            accepted = invitation_accept(token=token, password=form.cleaned_data["password"], request=request)
        except InvitationError as exc:
            if exc.field == "token":
                return render(request, "accessctl/invitation_invalid.html", status=410)
            show_field_error(form, exc)
        else:
            login(request, accepted.user, backend=MODEL_BACKEND)
            messages.success(request, f"Welcome to {invitation.organization.name}.")
            if accepted.mfa_required:  # the access policy would send them there anyway
                return redirect("mfa-setup")
            return redirect("dashboard")
    context = {"form": form, "invitation": invitation}
    return render(request, "accessctl/invitation_accept.html", context)


def end_sessions_of(user: User, keep: str | None = None) -> int:
    """Sign the user out everywhere (but the session `keep`); returns how many sessions ended."""
    sessions = UserSession.objects.filter(user=user).exclude(session_key=keep or "")
    keys = list(sessions.values_list("session_key", flat=True))
    Session.objects.filter(session_key__in=keys).delete()
    sessions.delete()
    return len(keys)


@never_cache
def password_reset_link(request: HttpRequest) -> HttpResponse:
    """The e-mailed link (`?u=<uid>&t=<token>`): keep the token in the session and go on to Django's form under
    a URL without it, as Django's own confirm view does, so it reaches no access log or Referer header."""
    uid, token = request.GET.get("u", "")[:64], request.GET.get("t", "")[:128]
    if not uid or not token:
        return redirect("password_reset")
    request.session[INTERNAL_RESET_SESSION_TOKEN] = token
    confirm = PasswordResetSetView.reset_url_token
    return redirect("password_reset_confirm", uidb64=uid, token=confirm)


class PasswordResetRequestView(auth_views.PasswordResetView):
    """Always answers the same ("if an account has this address…"); mails a link to each active account with a
    password that has the address, audited as `auth.password_reset.requested` on that account."""

    template_name = "registration/password_reset_form.html"
    success_url = reverse_lazy("password_reset_done")

    def form_valid(self, form: PasswordResetForm) -> HttpResponse:
        email = form.cleaned_data["email"]
        if self._flooding(email):  # the same answer, but no more mail to that inbox or from that address
            return HttpResponseRedirect(str(self.success_url))
        with transaction.atomic():
            for user in form.get_users(email):
                record(actor=None, request=self.request, organization=organization_of(user), user=user,
                       event_type="auth.password_reset.requested", details={"via": "self_service"})  # fmt: skip
            transaction.on_commit(lambda: send_password_reset(email))
        return HttpResponseRedirect(str(self.success_url))

    def _flooding(self, email: str) -> bool:
        per_inbox = hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]
        over = False
        for source, limit in (
            (f"inbox:{per_inbox}", RESETS_PER_INBOX),
            (f"ip:{client_ip(self.request)}", RESETS_PER_IP),
        ):
            repeats_to_record(RESET_FLOOD, source)  # counts it
            over = over or failure_count(RESET_FLOOD, source) > limit
        return over


class PasswordResetSetView(auth_views.PasswordResetConfirmView):
    """The link's page: a new password that passes the policy; every session of the account ends. It does not
    sign in (post_reset_login stays off), so the next sign-in asks for the password and MFA."""

    template_name = "registration/password_reset_confirm.html"
    success_url = reverse_lazy("password_reset_complete")

    def form_valid(self, form: SetPasswordForm[Any]) -> HttpResponse:
        user = form.user
        with transaction.atomic():
            response = super().form_valid(form)
            ended = end_sessions_of(user)
            record(actor=None, request=self.request, organization=organization_of(user), user=user,
                   event_type="auth.password_reset.completed", resource=f"user/{user.public_id}",
                   resource_id=user.public_id, details={"sessions_ended": ended})  # fmt: skip
        return response


@login_required
@never_cache
def account_page(request: HttpRequest) -> HttpResponse:
    actor = member_actor(request)
    user = actor.user
    assert user is not None  # noqa: S101 - a console session has a user
    form = PasswordChangeForm(user, request.POST if request.POST.get("form") == "password" else None)
    if form.is_bound and form.is_valid():
        with transaction.atomic():
            form.save()
            this_session = request.session.session_key
            ended = end_sessions_of(user, keep=this_session)
            update_session_auth_hash(request, user)  # stays signed in, under a new session key
            UserSession.objects.filter(session_key=this_session).update(session_key=request.session.session_key)
            record(actor=actor, event_type="auth.password_changed", resource=f"user/{user.public_id}",
                   resource_id=user.public_id, details={"other_sessions_ended": ended})  # fmt: skip
        messages.success(request, "Password changed. Your other sessions were signed out.")
        return redirect("account")
    static = StaticDevice.objects.filter(user=user).first()
    context = {
        "password_form": form,
        "confirm_form": ConfirmPasswordForm(),
        "totp_devices": TOTPDevice.objects.filter(user=user, confirmed=True),
        "backup_codes_left": static.token_set.count() if static else 0,
        "has_second_factor": has_second_factor(user),
        "verified": mfa_satisfied(request),
        "usable_password": user.has_usable_password(),
    }
    return render(request, "accessctl/account.html", context)


@login_required
@require_POST
def mfa_device_remove_view(request: HttpRequest, device_id: int) -> HttpResponse:
    """Remove one's own authenticator app: needs the current password and an MFA-verified session. Where the
    organisation requires MFA, the next page asks to enrol a new one."""
    actor = member_actor(request)
    user = actor.user
    assert user is not None  # noqa: S101
    device = TOTPDevice.objects.filter(user=user, pk=device_id, confirmed=True).first()
    form = ConfirmPasswordForm(request.POST)
    if device is None:
        messages.error(request, "No such device.")
    elif not mfa_satisfied(request):
        messages.error(request, "Verify with your current device before removing it.")
    elif not form.is_valid() or not user.check_password(form.cleaned_data["current_password"]):
        record(actor=actor, event_type="auth.mfa.removal_refused", outcome="denied",
               details={"reason": "wrong_password"})  # fmt: skip
        messages.error(request, "The current password is wrong; the device was kept.")
    else:
        with transaction.atomic():
            device.delete()
            if not has_second_factor(user):
                StaticDevice.objects.filter(user=user).delete()  # backup codes back up an app or a passkey
            record(actor=actor, event_type="auth.mfa.device_removed", resource=f"user/{user.public_id}",
                   resource_id=user.public_id, details={"device": "totp"})  # fmt: skip
        messages.success(request, "Authenticator app removed.")
    return redirect("account")


@login_required
@require_POST
@never_cache
def backup_codes_regenerate_view(request: HttpRequest) -> HttpResponse:
    actor = member_actor(request)
    user = actor.user
    assert user is not None  # noqa: S101
    if not mfa_satisfied(request) or not has_second_factor(user):
        messages.error(request, "Enrol an authenticator app or a passkey and verify with it first.")
        return redirect("account")
    with transaction.atomic():
        codes = backup_codes_regenerate(user=user)
        record(actor=actor, event_type="auth.mfa.backup_codes_regenerated", resource=f"user/{user.public_id}",
               resource_id=user.public_id, details={"backup_codes": len(codes)})  # fmt: skip
    return render(request, "accessctl/mfa_backup_codes.html", {"codes": codes})
