"""Sign-in, sign-out and failed sign-in, recorded from Django's auth signals."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest

from accessctl.actor import NoOrganization, actor_for_user
from accessctl.flood import repeats_to_record
from accessctl.models import User
from accessctl.selectors import organization_of
from audit.models import Outcome
from audit.services import record
from core.network import client_ip


def keyed_fingerprint(value: str) -> str:
    """A keyed hash: lets investigators match repeated values without storing them (a password typed
    into the username field must not land in the log)."""
    return hmac.new(settings.SECRET_KEY.encode(), value.encode(), hashlib.sha256).hexdigest()[:16]


def _record_for_user(request: HttpRequest, user: User, event_type: str) -> None:
    try:
        record(actor=actor_for_user(user, request), event_type=event_type, resource=f"user/{user.username}")
    except NoOrganization:
        record(actor=None, request=request, user=user, event_type=event_type, resource=f"user/{user.username}")


@receiver(user_logged_in, dispatch_uid="audit_login_succeeded")
def _logged_in(sender: Any, request: HttpRequest | None, user: User, **kwargs: Any) -> None:
    if request is not None:
        _record_for_user(request, user, "auth.login.succeeded")


@receiver(user_logged_out, dispatch_uid="audit_logout")
def _logged_out(sender: Any, request: HttpRequest | None, user: User | None, **kwargs: Any) -> None:
    if request is not None and user is not None:
        _record_for_user(request, user, "auth.logout")


@receiver(user_login_failed, dispatch_uid="audit_login_failed")
def _login_failed(sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any) -> None:
    username = str(credentials.get("username", ""))
    user = User.objects.filter(username=username).first() if username else None
    repeats = 1
    if user is None:  # anyone can try unknown names: aggregate per address (known accounts lock out instead)
        repeats = repeats_to_record("auth.login.failed", client_ip(request) if request is not None else None)
        if not repeats:
            return
    record(
        actor=None,
        request=request,
        user=user,
        organization=organization_of(user),
        event_type="auth.login.failed",
        resource=f"user/{user.username}" if user is not None else "",
        outcome=Outcome.DENIED,
        details={
            "username_fingerprint": keyed_fingerprint(username),
            "known_user": user is not None,
            "repeats": repeats,
        },
    )
