"""Per-organisation access policy for signed-in sessions: IP restrictions, idle timeout, absolute session
lifetime, session limit, MFA."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django_htmx.http import HttpResponseClientRedirect

from accessctl.extensions import record
from accessctl.mfa import mfa_required_for, mfa_satisfied
from accessctl.models import ApiKey, SecuritySettings, User, UserSession
from accessctl.security import request_settings_for, settings_for
from accessctl.selectors import active_membership_for_user
from core.network import client_ip, ip_allowed
from core.problems import problem_response

LAST_ACTIVITY = "last_activity"
SIGNED_IN_AT = "signed_in_at"
# The lifetime of a session without an organisation's policy (an operator made with createsuperuser).
DEFAULT_SESSION_MAX_HOURS: int = SecuritySettings._meta.get_field("session_max_hours").default
# Marks a request the browser makes by itself, not the person: every htmx poll (`hx-trigger="every …"`)
# carries `hx-headers='{"X-Poll": "1"}'` (tests/accessctl/test_session_policy.py fails a poll without it).
POLL_HEADER = "X-Poll"
HSTS_SECONDS = 365 * 24 * 3600
MFA_OPEN_PATHS = ("/login/mfa", "/account/mfa", "/logout/", "/static/", "/healthz", "/readyz")


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def is_passive_poll(request: HttpRequest) -> bool:
    """A read the page makes on a timer (an htmx `every` poll), which is no sign that anybody is there: it must
    not keep the session alive, or the idle timeout never fires while a dashboard tab stays open. htmx's own
    headers cannot tell a poll from a click (`HX-Trigger` is the element's id either way), so the polling
    elements say so themselves with `POLL_HEADER`. Trusting the client is safe here: the header can only make
    the sender's own session expire sooner. A poll is still checked like any request, so it is refused (and
    the page sent to sign in) once the session has expired."""
    return request.method in ("GET", "HEAD") and _is_htmx(request) and request.headers.get(POLL_HEADER) == "1"


def _sign_in_again(request: HttpRequest) -> HttpResponse:
    """The answer to a request whose session was just ended: 401 on the API; the sign-in page otherwise. For
    htmx, an `HX-Redirect` (status 200) sends the whole page there: a 302 would be followed inside the XHR and
    the sign-in form swapped into the polled fragment."""
    if _is_api(request):
        return problem_response(request, 401, "Your session has ended; sign in again.")
    back_to = request.path
    if _is_htmx(request):  # return to the page the fragment is on, not to the fragment
        page = urlsplit(request.headers.get("HX-Current-URL", ""))
        if page.path.startswith("/") and not page.path.startswith("//"):
            back_to = page.path + (f"?{page.query}" if page.query else "")
    login_url = f"{reverse('login')}?{urlencode({'next': back_to})}"
    if _is_htmx(request):
        return HttpResponseClientRedirect(login_url)
    return redirect(login_url)


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
            ended = self._end_former_members_session(request, user) or self._end_unaffiliated_session(request, user)
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
        signed_in = None
        if session_key is not None:
            signed_in = UserSession.objects.filter(session_key=session_key).values_list("created_at", flat=True).first()
        ended_elsewhere = session_key is not None and signed_in is None
        # A session from before `signed_in_at` was kept is as old as its UserSession row.
        started = request.session.get(SIGNED_IN_AT) or (signed_in.timestamp() if signed_in is not None else None)
        too_old = started is not None and now - float(started) > policy.session_max_hours * 3600
        idle = last is not None and now - float(last) > policy.session_timeout_minutes * 60
        if too_old or idle or ended_elsewhere:
            if too_old:
                event_type, details = (
                    "auth.session.expired",
                    {"reason": "max_lifetime", "max_hours": policy.session_max_hours},
                )
            elif idle:
                event_type, details = "auth.session.expired", {"reason": "idle_timeout"}
            else:
                event_type, details = "auth.session.ended", {"reason": "ended_by_newer_session"}
            record(
                actor=None,
                request=request,
                organization=organization,
                user=user,
                event_type=event_type,
                details=details,
            )
            logout(request)
            return _sign_in_again(request)
        if started is None:
            request.session[SIGNED_IN_AT] = now
        if last is None or not is_passive_poll(request):  # polls keep nothing alive (`is_passive_poll`)
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
        return _sign_in_again(request)

    def _end_unaffiliated_session(self, request: HttpRequest, user: User) -> HttpResponse | None:
        """No organisation's policy applies (an operator's account): the default absolute lifetime still does."""
        now = timezone.now().timestamp()
        started = request.session.get(SIGNED_IN_AT)
        if started is None:
            request.session[SIGNED_IN_AT] = now
            return None
        if now - float(started) <= DEFAULT_SESSION_MAX_HOURS * 3600:
            return None
        record(
            actor=None,
            request=request,
            user=user,
            event_type="auth.session.expired",
            details={"reason": "max_lifetime", "max_hours": DEFAULT_SESSION_MAX_HOURS},
        )
        logout(request)
        return _sign_in_again(request)

    def _mfa_gate(self, request: HttpRequest, *, required: bool) -> HttpResponse | None:
        if not required or mfa_satisfied(request) or request.path.startswith(MFA_OPEN_PATHS):
            return None
        if _is_api(request):
            return problem_response(request, 403, "Complete multi-factor authentication first.")
        return redirect(f"{reverse('mfa-verify')}?{urlencode({'next': request.get_full_path()})}")
