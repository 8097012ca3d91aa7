"""Console pages for emergency (break-glass) access: ask, the approver inbox (live), grants with a countdown,
history, and a request's detail with what was done under the grant and the post-use review.

Visibility follows the REST API: a requester sees their own requests, members with `emergency:approve` see
every request of the organisation; anything else (another organisation's included) is a 404. Reasons,
comments and review notes are decrypted only on pages those people may open."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accessctl.models import User
from accessctl.policy import PolicyDenied, is_allowed, organization_resource
from core.errors import FieldError
from core.forms import show_field_error
from emergency import services
from emergency.console import (
    Access,
    access_of,
    countdown,
    get_visible,
    grant_rows,
    history_rows,
    inbox_rows,
    mine_context,
    page_access,
    request_row,
    return_to,
    unread_notifications,
)
from emergency.forms import FIELD_FOR_ERROR, DecisionForm, RequestForm, ReviewForm
from emergency.models import (
    EmergencyAccessRequest,
    RequestStatus,
    ReviewStatus,
)

if TYPE_CHECKING:
    from django.db.models import QuerySet

    RequestQuerySet = QuerySet[EmergencyAccessRequest]

POLICY_REFUSED = (
    "Your roles are not among those the organisation's emergency access policy authorises to request access."
)


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def emergency_page(request: HttpRequest) -> HttpResponse:
    access = page_access(request)
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
                show_field_error(form, exc, FIELD_FOR_ERROR)
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
        "may_manage": is_allowed(access.actor, "settings:manage", organization_resource(access.actor)),
        "notifications": unread_notifications(access) if request.method == "GET" else [],
        **mine_context(access, now),
        "inbox": inbox_rows(access, now),
        "grants": grant_rows(access, now),
        "history": history_rows(access, now),
    }
    return render(request, "emergency/page.html", context, status=status)


@login_required
@never_cache
@require_GET
def emergency_mine(request: HttpRequest) -> HttpResponse:
    """htmx partial: the user's open requests; polls while one is pending or granted."""
    access = page_access(request)
    return render(request, "emergency/_mine.html", {"access": access, **mine_context(access, timezone.now())})


@login_required
@never_cache
@require_GET
def emergency_inbox(request: HttpRequest) -> HttpResponse:
    """htmx partial: the approver inbox (polled every 2 s)."""
    access = page_access(request)
    if not access.may_approve:
        raise PermissionDenied("emergency:approve")
    return render(request, "emergency/_inbox.html", {"access": access, "inbox": inbox_rows(access, timezone.now())})


@login_required
@never_cache
@require_GET
def emergency_grants(request: HttpRequest) -> HttpResponse:
    """htmx partial: the organisation's grants with their countdowns."""
    access = page_access(request)
    if not access.may_approve:
        raise PermissionDenied("emergency:approve")
    return render(request, "emergency/_grants.html", {"access": access, "grants": grant_rows(access, timezone.now())})


def _detail_context(access: Access, found: EmergencyAccessRequest, **extra: Any) -> dict[str, Any]:
    now = timezone.now()
    row = request_row(access, found, now)
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
    access = access_of(request)  # a member may always open their own request, even after losing the role
    return _render_detail(request, access, get_visible(access, request_id))


@login_required
@never_cache
@require_GET
def emergency_countdown(request: HttpRequest, request_id: str) -> HttpResponse:
    """htmx partial: the remaining time of a grant, server-rendered; it stops polling once the grant is over."""
    access = access_of(request)
    found = get_visible(access, request_id)
    context = {"request_obj": found, "countdown": countdown(found, timezone.now()), "poll": True}
    return render(request, "emergency/_countdown.html", context)


@login_required
@require_POST
def emergency_decide(request: HttpRequest, request_id: str) -> HttpResponse:
    access = access_of(request)
    found = get_visible(access, request_id)  # only approvers (and the requester) see it; others get a 404
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
            show_field_error(form, exc, FIELD_FOR_ERROR)
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
            return return_to(request, decided)
    found.refresh_from_db()
    return _render_detail(request, access, found, status=400, decision_form=form)


@login_required
@require_POST
def emergency_revoke(request: HttpRequest, request_id: str) -> HttpResponse:
    """The requester ends their own grant or cancels their ask; approvers may revoke any grant."""
    access = access_of(request)
    found = get_visible(access, request_id)
    try:
        ended = services.revoke(actor=access.actor, request=found)
    except FieldError as exc:
        messages.error(request, str(exc))
        return return_to(request, found)
    if ended.status == RequestStatus.CANCELLED:
        messages.success(request, f"Request {ended.public_id} cancelled.")
    else:
        messages.success(request, f"Grant {ended.public_id} revoked; the access has ended.")
    return return_to(request, ended)


@login_required
@require_POST
def emergency_review(request: HttpRequest, request_id: str) -> HttpResponse:
    access = access_of(request)
    found = get_visible(access, request_id)
    if not access.may_approve:
        raise PermissionDenied("emergency:approve")
    form = ReviewForm(request.POST)
    if form.is_valid():
        try:
            services.review(actor=access.actor, request=found, notes=form.cleaned_data["notes"])
        except FieldError as exc:
            show_field_error(form, exc, FIELD_FOR_ERROR)
        else:
            messages.success(request, "Post-use review recorded.")
            return redirect("emergency-detail", request_id=found.public_id)
    return _render_detail(request, access, found, status=400, review_form=form)
