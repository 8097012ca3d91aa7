"""Session bookkeeping on sign-in and sign-out (concurrent-session limit) and audited lockouts."""

from __future__ import annotations

from typing import Any

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.contrib.sessions.models import Session
from django.db import transaction
from django.dispatch import receiver
from django.http import HttpRequest
from django.utils import timezone

from accessctl.ip_policy import client_ip
from accessctl.models import User, UserSession
from accessctl.security import settings_for
from accessctl.selectors import active_membership_for_user, organization_of
from audit.services import record


@receiver(user_logged_in, dispatch_uid="accessctl_register_session")
def _register_session(sender: Any, request: HttpRequest | None, user: User, **kwargs: Any) -> None:
    if request is None or not hasattr(request, "session"):
        return
    membership = active_membership_for_user(user)
    if membership is None:
        return
    if request.session.session_key is None:
        request.session.save()
    session_key = request.session.session_key
    assert session_key is not None  # noqa: S101 - saved just above
    request.session["last_activity"] = timezone.now().timestamp()
    organization = membership.organization
    with transaction.atomic():
        UserSession.objects.get_or_create(
            session_key=session_key, defaults={"user": user, "organization": organization, "ip": client_ip(request)}
        )
        limit = settings_for(organization).concurrent_sessions_limit
        if not limit:
            return
        sessions = list(UserSession.objects.select_for_update().filter(user=user).order_by("-created_at", "-id"))
        for stale in sessions[limit:]:
            Session.objects.filter(session_key=stale.session_key).delete()
            stale.delete()
            record(
                actor=None,
                request=request,
                organization=organization,
                user=user,
                event_type="auth.session.ended",
                details={"reason": "concurrent_sessions_limit", "limit": limit},
            )


@receiver(user_logged_out, dispatch_uid="accessctl_forget_session")
def _forget_session(sender: Any, request: HttpRequest | None, user: User | None, **kwargs: Any) -> None:
    if request is not None and getattr(request, "session", None) is not None and request.session.session_key:
        UserSession.objects.filter(session_key=request.session.session_key).delete()


@receiver(user_locked_out, dispatch_uid="accessctl_audit_lockout")
def _locked_out(sender: Any, request: HttpRequest, username: str | None = None, **kwargs: Any) -> None:
    # The lockout counts the username case-folded (accessctl/lockout.py): find the account the same way.
    user = User.objects.filter(username__iexact=username).order_by("id").first() if username else None
    record(
        actor=None,
        request=request,
        organization=organization_of(user),
        user=user,
        event_type="auth.lockout",
        outcome="denied",
        details={"known_user": user is not None},
    )
