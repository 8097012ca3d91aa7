"""Console pages for emergency (break-glass) access: ask, the approver inbox (live), grants with a countdown,
history, and a request's detail with what was done under the grant and the post-use review.

Visibility follows the REST API: a requester sees their own requests, members with `emergency:approve` see
every request of the organisation; anything else (another organisation's included) is a 404. Reasons,
comments and review notes are decrypted only on pages those people may open."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accessctl.console import member_actor
from accessctl.policy import PolicyDenied, is_allowed
from emergency import services
from emergency.forms import DecisionForm, RequestForm, ReviewForm, form_field_for
from emergency.models import (
    EmergencyAccessDecision,
    EmergencyAccessRequest,
    Notification,
    RequestStatus,
    ReviewStatus,
)
from portal.errors import FieldError

if TYPE_CHECKING:
    from datetime import datetime

    from django.db.models import QuerySet

    from accessctl.actor import Actor

    RequestQuerySet = QuerySet[EmergencyAccessRequest]

ALL_REQUESTS = "emergency-access/*"
LIVE = {RequestStatus.PENDING, RequestStatus.APPROVED}
HISTORY_ROWS = 50
NOTIFICATION_ROWS = 20
POLICY_REFUSED = (
    "Your roles are not among those the organisation's emergency access policy authorises to request access."
)


@dataclass(frozen=True)
class Access:
    actor: Actor
    may_request: bool
    may_approve: bool

    @property
    def may_open_page(self) -> bool:
        return self.may_request or self.may_approve


def _access(request: HttpRequest) -> Access:
    actor = member_actor(request)
    return Access(
        actor=actor,
        may_request=is_allowed(actor, "emergency:request", ALL_REQUESTS),
        may_approve=is_allowed(actor, "emergency:approve", ALL_REQUESTS),
    )


def _page_access(request: HttpRequest) -> Access:
    access = _access(request)
    if not access.may_open_page:
        raise PermissionDenied("emergency:request")
    return access


def _in_organization(actor: Actor) -> RequestQuerySet:
    return (
        EmergencyAccessRequest.objects.filter(organization=actor.organization)
        .select_related("organization", "requester", "ended_by", "reviewed_by")
        .prefetch_related("decisions__approver")
    )


def _visible(access: Access) -> RequestQuerySet:
    found = _in_organization(access.actor)
    if not access.may_approve:  # requesters see their own; approvers see all
        found = found.filter(requester=access.actor.user)
    return found


def _get_visible(access: Access, request_id: str) -> EmergencyAccessRequest:
    found: EmergencyAccessRequest | None = _visible(access).filter(public_id=request_id).first()
    if found is None:
        raise Http404("no such emergency access request")
    return found


def shown_status(found: EmergencyAccessRequest, now: datetime) -> str:
    """The status as it stands now: a grant or a pending ask past its time is over even before the beat runs."""
    if found.status == RequestStatus.APPROVED and (found.grant_expires_at is None or found.grant_expires_at <= now):
        return RequestStatus.EXPIRED
    if found.status == RequestStatus.PENDING and found.pending_until <= now:
        return RequestStatus.EXPIRED
    return str(found.status)


def _duration(seconds: int) -> str:
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
        return {"live": True, "seconds": seconds, "text": f"{_duration(seconds)} left"}
    if found.granted_at is None:
        return {"live": False, "seconds": None, "text": "not granted"}
    return {"live": False, "seconds": 0, "text": status}


def _decisions(found: EmergencyAccessRequest) -> list[EmergencyAccessDecision]:
    return list(found.decisions.all())


def _row(access: Access, found: EmergencyAccessRequest, now: datetime, **extra: Any) -> dict[str, Any]:
    status = shown_status(found, now)
    decisions = _decisions(found)
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


def _mine(access: Access, now: datetime) -> list[dict[str, Any]]:
    if access.actor.user is None:
        return []
    found = _in_organization(access.actor).filter(requester=access.actor.user, status__in=LIVE)
    return [_row(access, r, now) for r in found]


def _mine_context(access: Access, now: datetime) -> dict[str, Any]:
    """The user's open requests, and whether the list should keep refreshing (something may still change)."""
    mine = _mine(access, now)
    live = {RequestStatus.PENDING, RequestStatus.APPROVED}
    return {"mine": mine, "mine_polling": any(row["status"] in live for row in mine)}


def _inbox(access: Access, now: datetime) -> list[dict[str, Any]]:
    """Pending requests of others, each with this approver's decision form (or what they decided)."""
    if not access.may_approve:
        return []
    found = (
        _in_organization(access.actor)
        .filter(status=RequestStatus.PENDING, pending_until__gt=now)
        .exclude(requester=access.actor.user)
    )
    rows = []
    for r in found:
        mine = next((d for d in r.decisions.all() if d.approver_id == getattr(access.actor.user, "pk", None)), None)
        rows.append(_row(access, r, now, my_decision=mine, form=DecisionForm(prefix=r.public_id)))
    return rows


def _grants(access: Access, now: datetime) -> list[dict[str, Any]]:
    if not access.may_approve:
        return []
    found = _in_organization(access.actor).filter(status=RequestStatus.APPROVED).order_by("grant_expires_at", "id")
    return [_row(access, r, now) for r in found]


def _history(access: Access, now: datetime) -> list[dict[str, Any]]:
    found = _visible(access).exclude(status__in=LIVE)[:HISTORY_ROWS]
    return [_row(access, r, now) for r in found]


def _return_to(request: HttpRequest, found: EmergencyAccessRequest) -> HttpResponse:
    if request.POST.get("return_to") == "page":
        return redirect("emergency")
    return redirect("emergency-detail", request_id=found.public_id)


def _unread_notifications(access: Access) -> list[Notification]:
    """The user's unread notices, which count as read once this page has shown them."""
    if access.actor.user is None:
        return []
    unread = Notification.objects.filter(user=access.actor.user, read_at__isnull=True)
    shown = list(unread[:NOTIFICATION_ROWS])
    unread.update(read_at=timezone.now())
    return shown


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def emergency_page(request: HttpRequest) -> HttpResponse:
    access = _page_access(request)
    form = RequestForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if not access.may_request:
            raise PermissionDenied("emergency:request")
        if form.is_valid():
            data = form.cleaned_data
            try:
                created = services.request_access(
                    actor=access.actor,
                    resource=data["resource"].strip(),
                    permissions=list(data["permissions"]),
                    reason=data["reason"],
                )
            except FieldError as exc:
                form.add_error(form_field_for(form, exc.field), str(exc))
                status = 400
            except PolicyDenied:
                form.add_error(None, POLICY_REFUSED)
                status = 403
            else:
                messages.success(
                    request,
                    f"Emergency access to {created.resource} requested; "
                    f"{created.approvals_needed} approval{'s' if created.approvals_needed != 1 else ''} needed.",
                )
                return redirect("emergency")
        else:
            status = 400
    now = timezone.now()
    policy = services.emergency_policy_for(access.actor.organization)
    context = {
        "access": access,
        "form": form,
        "policy": policy,
        "notifications": _unread_notifications(access) if request.method == "GET" else [],
        **_mine_context(access, now),
        "inbox": _inbox(access, now),
        "grants": _grants(access, now),
        "history": _history(access, now),
    }
    return render(request, "emergency/page.html", context, status=status)


@login_required
@never_cache
@require_GET
def emergency_mine(request: HttpRequest) -> HttpResponse:
    """htmx partial: the user's open requests; polls while one is pending or granted."""
    access = _page_access(request)
    return render(request, "emergency/_mine.html", {"access": access, **_mine_context(access, timezone.now())})


@login_required
@never_cache
@require_GET
def emergency_inbox(request: HttpRequest) -> HttpResponse:
    """htmx partial: the approver inbox (polled every 2 s)."""
    access = _page_access(request)
    if not access.may_approve:
        raise PermissionDenied("emergency:approve")
    return render(request, "emergency/_inbox.html", {"access": access, "inbox": _inbox(access, timezone.now())})


@login_required
@never_cache
@require_GET
def emergency_grants(request: HttpRequest) -> HttpResponse:
    """htmx partial: the organisation's grants with their countdowns."""
    access = _page_access(request)
    if not access.may_approve:
        raise PermissionDenied("emergency:approve")
    return render(request, "emergency/_grants.html", {"access": access, "grants": _grants(access, timezone.now())})


def _detail_context(access: Access, found: EmergencyAccessRequest, **extra: Any) -> dict[str, Any]:
    now = timezone.now()
    row = _row(access, found, now)
    my_decision = next((d for d in row["decisions"] if d.approver_id == getattr(access.actor.user, "pk", None)), None)
    may_decide = (
        access.may_approve and not row["is_requester"] and row["status"] == RequestStatus.PENDING and not my_decision
    )
    context: dict[str, Any] = {
        "access": access,
        "row": row,
        "request_obj": found,
        "my_decision": my_decision,
        "decision_form": DecisionForm(prefix=found.public_id) if may_decide else None,
        "review_form": ReviewForm() if access.may_approve and found.review_status == ReviewStatus.PENDING else None,
        "activity": list(services.grant_activity(found)[:500]) if found.granted_at else [],
        "approvers_waiting": row["status"] == RequestStatus.PENDING,
    }
    context.update(extra)
    return context


def _usernames(activity: list[Any]) -> dict[str, str]:
    from accessctl.models import User

    ids = {event.user_id for event in activity if event.user_id}
    return dict(User.objects.filter(public_id__in=ids).values_list("public_id", "username"))


def _render_detail(
    request: HttpRequest, access: Access, found: EmergencyAccessRequest, status: int = 200, **extra: Any
) -> HttpResponse:
    context = _detail_context(access, found, **extra)
    names = _usernames(context["activity"])
    context["activity_rows"] = [
        {"event": event, "user": names.get(event.user_id) or event.actor_id or "—"} for event in context["activity"]
    ]
    return render(request, "emergency/detail.html", context, status=status)


@login_required
@never_cache
@require_GET
def emergency_detail(request: HttpRequest, request_id: str) -> HttpResponse:
    access = _access(request)  # a member may always open their own request, even after losing the role
    return _render_detail(request, access, _get_visible(access, request_id))


@login_required
@never_cache
@require_GET
def emergency_countdown(request: HttpRequest, request_id: str) -> HttpResponse:
    """htmx partial: the remaining time of a grant, server-rendered; it stops polling once the grant is over."""
    access = _access(request)
    found = _get_visible(access, request_id)
    context = {"request_obj": found, "countdown": countdown(found, timezone.now()), "poll": True}
    return render(request, "emergency/_countdown.html", context)


@login_required
@require_POST
def emergency_decide(request: HttpRequest, request_id: str) -> HttpResponse:
    access = _access(request)
    found = _get_visible(access, request_id)  # only approvers (and the requester) see it; others get a 404
    if not access.may_approve:
        raise PermissionDenied("emergency:approve")
    form = DecisionForm(request.POST, prefix=found.public_id)
    if form.is_valid():
        decision = form.cleaned_data["decision"]
        try:
            decided = services.decide(
                actor=access.actor, request=found, decision=decision, comment=form.cleaned_data["comment"]
            )
        except FieldError as exc:
            form.add_error(form_field_for(form, exc.field), str(exc))
        except PolicyDenied:
            if access.actor.user is not None and found.requester_id == access.actor.user.pk:
                messages.error(request, "You cannot decide on your own request: other approvers must.")
                return redirect("emergency-detail", request_id=found.public_id)
            raise PermissionDenied("emergency:approve") from None
        else:
            if decision == "deny":
                messages.success(request, f"You denied {decided.public_id}; the request is closed.")
            elif decided.status == RequestStatus.APPROVED:
                messages.success(request, f"You approved {decided.public_id}; the grant is now active.")
            else:
                messages.success(request, f"You approved {decided.public_id}; it still needs more approvals.")
            return _return_to(request, decided)
    found.refresh_from_db()
    return _render_detail(request, access, found, status=400, decision_form=form)


@login_required
@require_POST
def emergency_revoke(request: HttpRequest, request_id: str) -> HttpResponse:
    """The requester ends their own grant or cancels their ask; approvers may revoke any grant."""
    access = _access(request)
    found = _get_visible(access, request_id)
    try:
        ended = services.revoke(actor=access.actor, request=found)
    except FieldError as exc:
        messages.error(request, str(exc))
        return _return_to(request, found)
    except PolicyDenied:
        raise PermissionDenied("emergency:approve") from None
    if ended.status == RequestStatus.CANCELLED:
        messages.success(request, f"Request {ended.public_id} cancelled.")
    else:
        messages.success(request, f"Grant {ended.public_id} revoked; the access has ended.")
    return _return_to(request, ended)


@login_required
@require_POST
def emergency_review(request: HttpRequest, request_id: str) -> HttpResponse:
    access = _access(request)
    found = _get_visible(access, request_id)
    if not access.may_approve:
        raise PermissionDenied("emergency:approve")
    form = ReviewForm(request.POST)
    if form.is_valid():
        try:
            services.review(actor=access.actor, request=found, notes=form.cleaned_data["notes"])
        except FieldError as exc:
            form.add_error(form_field_for(form, exc.field), str(exc))
        except PolicyDenied:
            raise PermissionDenied("emergency:approve") from None
        else:
            messages.success(request, "Post-use review recorded.")
            return redirect("emergency-detail", request_id=found.public_id)
    return _render_detail(request, access, found, status=400, review_form=form)
