"""Sign-in lockout, at two levels.

Per user name + address (django-axes, `AXES_*`): whom a failed sign-in counts against is the username
case-folded, so that `ALICE`, `Alice` and `alice` share one failure count and one lockout instead of five
attempts each.

Per account, from every address together (`ACCOUNT_LOCKOUT_*`): axes alone lets 20 addresses try 4 passwords
each; here `ACCOUNT_LOCKOUT_FAILURES` failed sign-ins for one user name within `ACCOUNT_LOCKOUT_WINDOW_MINUTES`
lock it until they age out of the window (attempts refused while locked count too, so an attacker who keeps
trying keeps it locked and tests no password), or an administrator unlocks it (`account_unlock`: REST
`POST /api/v1/users/<id>/unlock`, `manage.py unlock_account`). The lock covers any user name, existing or not,
and a locked sign-in gets the form's usual "Wrong username or password.": the response tells nobody whether
the account exists or is locked; the audit log does (`auth.lockout`, `scope: account`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from accessctl.extensions import record
from accessctl.models import LoginFailure, User
from accessctl.selectors import organization_of

if TYPE_CHECKING:
    from accessctl.actor import Actor

ACCOUNT_LOCKED = "_paitient_account_locked"


def lockout_username(request: HttpRequest | None, credentials: Mapping[str, Any] | None = None) -> str:
    """`AXES_USERNAME_CALLABLE`: the submitted username, trimmed and lower-cased ("" when none was sent)."""
    username = credentials.get("username") if credentials else None
    if username is None:
        username = getattr(request, "POST", {}).get("username")
    return str(username or "").strip().lower()[:150]


def _window_start() -> Any:
    return timezone.now() - timedelta(minutes=settings.ACCOUNT_LOCKOUT_WINDOW_MINUTES)


def account_failures(username: str) -> int:
    """Failed sign-ins as `username` (case-folded) within the window, from every address."""
    return LoginFailure.objects.filter(username=username, attempted_at__gte=_window_start()).count()


def account_locked(username: str) -> bool:
    return bool(username) and account_failures(username) >= settings.ACCOUNT_LOCKOUT_FAILURES


def account_failure_record(username: str, ip: str | None) -> int:
    """Count one failed sign-in; returns the failures within the window, this one included. Rows that have
    left the window are deleted on the way (they no longer count for anybody)."""
    LoginFailure.objects.filter(attempted_at__lt=_window_start()).delete()
    LoginFailure.objects.create(username=username, ip=ip, attempted_at=timezone.now())
    return account_failures(username)


def audit_lockout(request: HttpRequest | None, username: str | None, scope: str, **details: Any) -> None:
    """`auth.lockout` for the account the (case-folded) user name names, if any; scope `account` (every
    address together) or `address` (axes: this user name from this address)."""
    user = User.objects.filter(username__iexact=username).order_by("id").first() if username else None
    record(
        actor=None,
        request=request,
        organization=organization_of(user),
        user=user,
        event_type="auth.lockout",
        outcome="denied",
        details={"scope": scope, "known_user": user is not None, **details},
    )


def audit_account_lockout(request: HttpRequest | None, username: str, failures: int) -> None:
    audit_lockout(
        request,
        username,
        "account",
        failures=failures,
        window_minutes=settings.ACCOUNT_LOCKOUT_WINDOW_MINUTES,
        refused=bool(getattr(request, ACCOUNT_LOCKED, False)),  # this attempt was refused by the lock
    )


class AccountLockoutBackend:
    """Refuses every sign-in, right password or not, while the account is locked. Raising PermissionDenied
    stops Django from trying the backends after this one and sends `user_login_failed`, so the sign-in form
    answers exactly as for a wrong password (no account enumeration, no "locked" page that would confirm a
    guess) and the attempt counts as a failure. It authenticates nobody and has no `get_user`, so neither
    sessions nor `Client.force_login` ever name it as their backend."""

    def authenticate(self, request: HttpRequest | None, username: str | None = None, **kwargs: Any) -> User | None:
        name = lockout_username(request, {"username": username} if username is not None else None)
        if account_locked(name):
            if request is not None:
                setattr(request, ACCOUNT_LOCKED, True)
            raise PermissionDenied
        return None


@dataclass(frozen=True)
class Unlocked:
    user: User
    account_failures: int  # failed sign-ins within the window, from every address (now cleared)
    locked_addresses: int  # addresses axes had locked out for this user name (now cleared)

    @property
    def was_locked(self) -> bool:
        return self.account_failures >= settings.ACCOUNT_LOCKOUT_FAILURES or self.locked_addresses > 0


@transaction.atomic
def account_unlock(*, actor: Actor | None, user: User, via: str, ticket: str = "") -> Unlocked:
    """Clear both lockouts of `user`: the per-account failures and axes' per-address records for the user
    name. Audited as `auth.account_unlocked` (by `actor`, or by the operator when None)."""
    from axes.models import AccessAttempt
    from axes.utils import reset

    username = lockout_username(None, {"username": user.username})
    failures = LoginFailure.objects.filter(username=username, attempted_at__gte=_window_start()).count()
    locked_addresses = AccessAttempt.objects.filter(
        username=username,
        failures_since_start__gte=settings.AXES_FAILURE_LIMIT,
        attempt_time__gte=timezone.now() - timedelta(hours=settings.AXES_COOLOFF_TIME),
    ).count()
    LoginFailure.objects.filter(username=username).delete()
    reset(username=username)
    unlocked = Unlocked(user=user, account_failures=failures, locked_addresses=locked_addresses)
    details: dict[str, Any] = {
        "user_id": user.public_id,
        "via": via,
        "was_locked": unlocked.was_locked,
        "account_failures": failures,
        "locked_addresses": locked_addresses,
    }
    if ticket:
        details["ticket"] = ticket
    record(
        actor=actor,
        organization=organization_of(user) if actor is None else None,
        user=user if actor is None else None,
        event_type="auth.account_unlocked",
        resource=f"user/{user.username}",
        resource_id=user.public_id,
        details=details,
    )
    return unlocked
