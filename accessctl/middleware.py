"""Per-organisation access policy for signed-in sessions: IP restrictions, idle timeout, session limit, MFA."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from accessctl.ip_policy import client_ip, ip_allowed
from accessctl.mfa import mfa_required_for, mfa_satisfied
from accessctl.models import ApiKey, User, UserSession
from accessctl.security import request_settings_for, settings_for
from accessctl.selectors import active_membership_for_user
from audit.services import record
from portal.api.errors import problem_response

LAST_ACTIVITY = "last_activity"
HSTS_SECONDS = 365 * 24 * 3600
MFA_OPEN_PATHS = ("/login/mfa", "/account/mfa", "/logout/", "/static/", "/healthz", "/readyz")


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


class AccessPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        hsts = False
        if isinstance(user, User) and user.is_authenticated:
            refusal = self._enforce(request, user)
            if refusal is not None:
                return refusal
            hsts = bool(getattr(request, "_hsts_enabled", False))
        response = self.get_response(request)
        if not hsts:  # an API key authenticates inside the view: its organisation's policy applies too
            api_key = getattr(request, "api_key", None)
            hsts = isinstance(api_key, ApiKey) and request_settings_for(api_key.organization).hsts_enabled
        if hsts and request.is_secure() and "Strict-Transport-Security" not in response:
            response["Strict-Transport-Security"] = f"max-age={HSTS_SECONDS}; includeSubDomains"
        return response

    def _enforce(self, request: HttpRequest, user: User) -> HttpResponse | None:
        membership = active_membership_for_user(user)
        if membership is None:
            ended = self._end_former_members_session(request, user)
            if ended is not None:
                return ended
            # No organisation policy applies, but an enrolled device still must be used (admins
            # created with createsuperuser).
            return self._mfa_gate(request, required=mfa_required_for(user, None))
        organization = membership.organization
        policy = settings_for(organization)
        request._hsts_enabled = policy.hsts_enabled  # type: ignore[attr-defined]
        address = client_ip(request)
        if not ip_allowed(address, policy.ip_restrictions):
            record(
                actor=None,
                request=request,
                organization=organization,
                user=user,
                event_type="access.denied",
                outcome="denied",
                resource=f"organization/{organization.slug}",
                details={"reason": "ip_restriction"},
            )
            if _is_api(request):
                return problem_response(request, 403, "Your address is not in the organisation's allowed networks.")
            return HttpResponseForbidden("Your address is not in the organisation's allowed networks.")

        session_key = request.session.session_key
        now = timezone.now().timestamp()
        last = request.session.get(LAST_ACTIVITY)
        ended_elsewhere = session_key is not None and not UserSession.objects.filter(session_key=session_key).exists()
        idle = last is not None and now - float(last) > policy.session_timeout_minutes * 60
        if idle or ended_elsewhere:
            record(
                actor=None,
                request=request,
                organization=organization,
                user=user,
                event_type="auth.session.expired" if idle else "auth.session.ended",
                details={"reason": "idle_timeout" if idle else "ended_by_newer_session"},
            )
            logout(request)
            if _is_api(request):
                return problem_response(request, 401, "Your session has ended; sign in again.")
            return redirect(f"{reverse('login')}?next={request.path}")
        request.session[LAST_ACTIVITY] = now

        return self._mfa_gate(request, required=mfa_required_for(user, policy))

    def _end_former_members_session(self, request: HttpRequest, user: User) -> HttpResponse | None:
        """A session signed in as a member (it has a UserSession row) whose membership was deactivated since:
        sign it out now rather than let it carry on without an organisation."""
        session_key = request.session.session_key
        if session_key is None:
            return None
        signed_in_as = UserSession.objects.filter(session_key=session_key).select_related("organization").first()
        if signed_in_as is None:
            return None
        record(
            actor=None,
            request=request,
            organization=signed_in_as.organization,
            user=user,
            event_type="auth.session.ended",
            details={"reason": "membership_inactive"},
        )
        logout(request)
        if _is_api(request):
            return problem_response(request, 401, "Your session has ended; sign in again.")
        return redirect(f"{reverse('login')}?next={request.path}")

    def _mfa_gate(self, request: HttpRequest, *, required: bool) -> HttpResponse | None:
        if not required or mfa_satisfied(request) or request.path.startswith(MFA_OPEN_PATHS):
            return None
        if _is_api(request):
            return problem_response(request, 403, "Complete multi-factor authentication first.")
        return redirect(f"{reverse('mfa-verify')}?{urlencode({'next': request.get_full_path()})}")
