"""Session bookkeeping on sign-in and sign-out (concurrent-session limit, session lifetime), the per-account
failure count, and audited lockouts."""

from __future__ import annotations

from typing import Any

from axes.signals import user_locked_out
from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.contrib.sessions.models import Session
from django.db import transaction
from django.dispatch import receiver
from django.http import HttpRequest
from django.utils import timezone

from accessctl.extensions import record
from accessctl.lockout import account_failure_record, audit_account_lockout, audit_lockout, lockout_username
from accessctl.models import User, UserSession
from accessctl.security import settings_for
from accessctl.selectors import active_membership_for_user
from core.network import client_ip


@receiver(user_logged_in, dispatch_uid="accessctl_register_session")
def _register_session(sender: Any, request: HttpRequest | None, user: User, **kwargs: Any) -> None:
    if request is None or not hasattr(request, "session"):
        return
    now = timezone.now().timestamp()
    # AccessPolicyMiddleware measures the idle timeout from the one and the absolute lifetime from the other.
    request.session["last_activity"] = request.session["signed_in_at"] = now
    membership = active_membership_for_user(user)
    if membership is None:
        return
    if request.session.session_key is None:
        request.session.save()
    session_key = request.session.session_key
    assert session_key is not None  # noqa: S101 - saved just above
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
    # The lockout counts the username case-folded (accessctl/lockout.py): the account is found the same way.
    audit_lockout(request, username, "address")


@receiver(user_login_failed, dispatch_uid="accessctl_account_failure")
def _account_failure(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    """Every failed sign-in counts against the account, whatever the address (and attempts refused by either
    lockout too); at the limit and beyond, each one is audited as an account lockout."""
    username = lockout_username(request, credentials)
    if not username:
        return
    failures = account_failure_record(username, client_ip(request) if request is not None else None)
    if failures >= settings.ACCOUNT_LOCKOUT_FAILURES:
        audit_account_lockout(request, username, failures)
