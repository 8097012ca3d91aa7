"""What the emergency-access console pages show: who may see what (the REST API's visibility rules), the
rows of each list, countdowns and the unread notices. The views in `emergency/views.py` render these."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone

from accessctl.console import member_actor
from accessctl.policy import is_allowed
from accessctl.tenancy import tenant_get
from emergency.forms import DecisionForm
from emergency.models import (
    EmergencyAccessDecision,
    EmergencyAccessRequest,
    Notification,
    RequestStatus,
)

if TYPE_CHECKING:
    from datetime import datetime

    from django.db.models import QuerySet

    from accessctl.actor import Actor

    RequestQuerySet = QuerySet[EmergencyAccessRequest]

ALL_REQUESTS = "emergency-access/*"
LIVE = {RequestStatus.PENDING, RequestStatus.APPROVED}
HISTORY_ROWS = 50
NOTIFICATION_ROWS = 20


@dataclass(frozen=True)
class Access:
    actor: Actor
    may_request: bool
    may_approve: bool

    @property
    def may_open_page(self) -> bool:
        return self.may_request or self.may_approve


def access_of(request: HttpRequest) -> Access:
    actor = member_actor(request)
    return Access(
        actor=actor,
        may_request=is_allowed(actor, "emergency:request", ALL_REQUESTS),
        may_approve=is_allowed(actor, "emergency:approve", ALL_REQUESTS),
    )


def page_access(request: HttpRequest) -> Access:
    access = access_of(request)
    if not access.may_open_page:
        raise PermissionDenied("emergency:request")
    return access


def in_organization(actor: Actor) -> RequestQuerySet:
    return (
        EmergencyAccessRequest.objects.filter(organization=actor.organization)
        .select_related("organization", "requester", "ended_by", "reviewed_by")
        .prefetch_related("decisions__approver")
    )


def visible_requests(access: Access) -> RequestQuerySet:
    found = in_organization(access.actor)
    if not access.may_approve:  # requesters see their own; approvers see all
        found = found.filter(requester=access.actor.user)
    return found


def get_visible(access: Access, request_id: str) -> EmergencyAccessRequest:
    return tenant_get(visible_requests(access), access.actor, request_id)


def shown_status(found: EmergencyAccessRequest, now: datetime) -> str:
    """The status as it stands now: a grant or a pending ask past its time is over even before the beat runs."""
    if found.status == RequestStatus.APPROVED and (found.grant_expires_at is None or found.grant_expires_at <= now):
        return RequestStatus.EXPIRED
    if found.status == RequestStatus.PENDING and found.pending_until <= now:
        return RequestStatus.EXPIRED
    return str(found.status)


def duration_text(seconds: int) -> str:
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes:02d} min {secs:02d} s"
    if minutes:
        return f"{minutes} min {secs:02d} s"
    return f"{secs} s"


def countdown(found: EmergencyAccessRequest, now: datetime) -> dict[str, Any]:
    """What is left of a grant: `live` (and the seconds) while it lasts, else why it is over."""
    status = shown_status(found, now)
    if found.status == RequestStatus.APPROVED and status == RequestStatus.APPROVED and found.grant_expires_at:
        seconds = int((found.grant_expires_at - now).total_seconds())
        return {"live": True, "seconds": seconds, "text": f"{duration_text(seconds)} left"}
    if found.granted_at is None:
        return {"live": False, "seconds": None, "text": "not granted"}
    return {"live": False, "seconds": 0, "text": status}


def decisions_of(found: EmergencyAccessRequest) -> list[EmergencyAccessDecision]:
    return list(found.decisions.all())


def request_row(access: Access, found: EmergencyAccessRequest, now: datetime, **extra: Any) -> dict[str, Any]:
    status = shown_status(found, now)
    decisions = decisions_of(found)
    is_requester = access.actor.user is not None and found.requester_id == access.actor.user.pk
    row: dict[str, Any] = {
        "request": found,
        "status": status,
        "countdown": countdown(found, now),
        "decisions": decisions,
        "approvals": sum(1 for d in decisions if d.decision == "approve"),
        "is_requester": is_requester,
        "can_cancel": status == RequestStatus.PENDING and (is_requester or access.may_approve),
        "can_revoke": status == RequestStatus.APPROVED and (is_requester or access.may_approve),
    }
    row.update(extra)
    return row


def mine_rows(access: Access, now: datetime) -> list[dict[str, Any]]:
    if access.actor.user is None:
        return []
    found = in_organization(access.actor).filter(requester=access.actor.user, status__in=LIVE)
    return [request_row(access, r, now) for r in found]


def mine_context(access: Access, now: datetime) -> dict[str, Any]:
    """The user's open requests, and whether the list should keep refreshing (something may still change)."""
    mine = mine_rows(access, now)
    live = {RequestStatus.PENDING, RequestStatus.APPROVED}
    return {"mine": mine, "mine_polling": any(row["status"] in live for row in mine)}


def inbox_rows(access: Access, now: datetime) -> list[dict[str, Any]]:
    """Pending requests of others, each with this approver's decision form (or what they decided)."""
    if not access.may_approve:
        return []
    found = (
        in_organization(access.actor)
        .filter(status=RequestStatus.PENDING, pending_until__gt=now)
        .exclude(requester=access.actor.user)
    )
    rows = []
    for r in found:
        mine = next((d for d in r.decisions.all() if d.approver_id == getattr(access.actor.user, "pk", None)), None)
        rows.append(request_row(access, r, now, my_decision=mine, form=DecisionForm(prefix=r.public_id)))
    return rows


def grant_rows(access: Access, now: datetime) -> list[dict[str, Any]]:
    if not access.may_approve:
        return []
    found = in_organization(access.actor).filter(status=RequestStatus.APPROVED).order_by("grant_expires_at", "id")
    return [request_row(access, r, now) for r in found]


def history_rows(access: Access, now: datetime) -> list[dict[str, Any]]:
    found = visible_requests(access).exclude(status__in=LIVE)[:HISTORY_ROWS]
    return [request_row(access, r, now) for r in found]


def return_to(request: HttpRequest, found: EmergencyAccessRequest) -> HttpResponse:
    if request.POST.get("return_to") == "page":
        return redirect("emergency")
    return redirect("emergency-detail", request_id=found.public_id)


def unread_notifications(access: Access) -> list[Notification]:
    """The user's unread notices, which count as read once this page has shown them."""
    if access.actor.user is None:
        return []
    unread = Notification.objects.filter(user=access.actor.user, read_at__isnull=True)
    shown = list(unread[:NOTIFICATION_ROWS])
    unread.update(read_at=timezone.now())
    return shown
