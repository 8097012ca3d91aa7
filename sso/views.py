"""Console: "Sign in with SSO" (the redirect to the IdP and its callback) and the configuration page."""

from __future__ import annotations

import hmac
import time
from typing import Any

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache

from accessctl.console import console_actor
from accessctl.mfa import IDP_MFA_SESSION_KEY
from accessctl.models import RoleAssignment
from accessctl.policy import ADMIN_ROLE, GrantDenied
from core.forms import show_field_error
from sso.configuration import (
    PERMISSION,
    OidcChanges,
    SsoConfigError,
    oidc_configuration_document,
    oidc_configuration_for,
    oidc_configuration_update,
)
from sso.forms import OidcConfigurationForm, SsoStartForm
from sso.models import OidcConfiguration
from sso.oidc import SsoFailure, authorization_request, discover, exchange_code, scopes_for
from sso.signin import configuration_for_login, failure_record, sso_sign_in

PENDING = "sso_pending"  # the session's record of the sign-in in flight: state, nonce, PKCE verifier
PENDING_SECONDS = 600
BACKEND = "django.contrib.auth.backends.ModelBackend"


def _safe_next(request: HttpRequest, target: str | None) -> str:
    target = target or "/"
    allowed = url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure())
    return target if allowed else "/"


def _redirect_uri(request: HttpRequest) -> str:
    return request.build_absolute_uri(reverse("sso-callback"))


@never_cache
def sso_start(request: HttpRequest) -> HttpResponse:
    form = SsoStartForm(request.POST or None, initial={"identifier": request.GET.get("hint", "")})
    next_url = _safe_next(request, request.POST.get("next") or request.GET.get("next"))
    if request.method == "POST" and form.is_valid():
        identifier = form.cleaned_data["identifier"]
        config = configuration_for_login(identifier)
        if config is None:
            form.add_error("identifier", "Single sign-on is not set up for that e-mail domain or organisation.")
        else:
            try:
                provider = discover(config.issuer)
            except SsoFailure as failure:
                failure_record(request=request, organization=config.organization, reason=failure.reason)
                form.add_error("identifier", str(failure))
            else:
                auth = authorization_request(
                    provider,
                    client_id=config.client_id,
                    redirect_uri=_redirect_uri(request),
                    scope=scopes_for(provider, config.role_claim),
                    login_hint=identifier if "@" in identifier else "",
                )
                request.session[PENDING] = {
                    "config": config.pk,
                    "state": auth.state,
                    "nonce": auth.nonce,
                    "code_verifier": auth.code_verifier,
                    "next": next_url,
                    "started": time.time(),
                }
                # A page that moves on by itself, not a 302: the console's CSP (form-action 'self') would stop a
                # form's redirect to another origin, and the IdP is only known once the form is read.
                return render(request, "sso/redirect.html", {"url": auth.url})
    return render(request, "sso/start.html", {"form": form, "next": next_url})


def _refused(request: HttpRequest, message: str, status: int = 403) -> HttpResponse:
    return render(request, "sso/refused.html", {"message": message}, status=status)


@never_cache
def sso_callback(request: HttpRequest) -> HttpResponse:
    pending: dict[str, Any] | None = request.session.pop(PENDING, None)
    state = request.GET.get("state", "")
    if not pending or not state or not hmac.compare_digest(str(pending.get("state", "")), state):
        failure_record(request=request, organization=None, reason="state_mismatch")
        return _refused(request, "This sign-in link is not the one we started; sign in again.", 400)
    config = OidcConfiguration.objects.filter(pk=pending["config"], enabled=True).select_related("organization")
    found = config.first()
    if found is None:
        failure_record(request=request, organization=None, reason="sso_disabled")
        return _refused(request, "Single sign-on is no longer enabled for this organisation.")
    if time.time() - float(pending.get("started", 0)) > PENDING_SECONDS:
        failure_record(request=request, organization=found.organization, reason="state_expired")
        return _refused(request, "The sign-in took too long; sign in again.", 400)
    if "error" in request.GET or not request.GET.get("code"):
        failure_record(request=request, organization=found.organization, reason="idp_error")
        return _refused(request, "The identity provider did not sign you in.")
    try:
        provider = discover(found.issuer)
        claims = exchange_code(
            provider,
            client_id=found.client_id,
            client_secret=found.client_secret or "",
            redirect_uri=_redirect_uri(request),
            code=request.GET["code"],
            code_verifier=str(pending["code_verifier"]),
            nonce=str(pending["nonce"]),
        )
    except SsoFailure as failure:
        failure_record(request=request, organization=found.organization, reason=failure.reason)
        return _refused(request, str(failure))
    try:
        result = sso_sign_in(request=request, config=found, claims=claims)
    except SsoFailure as failure:  # audited by sso_sign_in
        return _refused(request, str(failure))
    login(request, result.user, backend=BACKEND)
    if result.mfa_by_idp:  # the organisation's MFA requirement is met by the IdP's (accessctl.mfa)
        request.session[IDP_MFA_SESSION_KEY] = True
    return redirect(_safe_next(request, pending.get("next")))


def _admins(config: OidcConfiguration) -> list[tuple[str, str]]:
    holders = RoleAssignment.objects.filter(
        organization=config.organization,
        role__name=ADMIN_ROLE,
        user__memberships__organization=config.organization,
        user__memberships__is_active=True,
    ).select_related("user")
    return [(a.user.public_id, a.user.username) for a in holders]


@login_required
@never_cache
def configuration_page(request: HttpRequest) -> HttpResponse:
    actor = console_actor(request, PERMISSION)
    config = oidc_configuration_for(actor.organization)
    current = oidc_configuration_document(config)
    initial = {
        **current,
        "allowed_domains": "\n".join(current["allowed_domains"]),
        "role_mapping": "\n".join(f"{m['value']} = {m['role']}" for m in current["role_mapping"]),
        "break_glass_user_id": current["break_glass_user_id"] or "",
    }
    form = OidcConfigurationForm(request.POST or None, initial=initial, admins=_admins(config))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            oidc_configuration_update(actor=actor, changes=OidcChanges(**data))
        except SsoConfigError as exc:
            show_field_error(form, exc)
        except GrantDenied as exc:  # mapping a group to a role the admin could not grant themselves
            form.add_error("role_mapping", exc.message)
        else:
            messages.success(request, "Single sign-on settings saved.")
            return redirect("sso-configuration")
    context = {"form": form, "config": current, "redirect_uri": _redirect_uri(request)}
    return render(request, "sso/configuration.html", context)
