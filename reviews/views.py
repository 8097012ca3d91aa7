"""Console pages under Access: the list of access reviews (start one), one review with its items (keep or
revoke, a revoke confirmed first; sign-off), and the review schedule."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from accessctl.actor import Actor
from accessctl.console import console_actor
from accessctl.models import User
from accessctl.policy import GrantDenied, is_allowed, organization_resource
from accessctl.tenancy import tenant_get
from core.confirm import confirmation
from core.errors import FieldError
from core.forms import show_field_error
from reviews.forms import CampaignStartForm, DecisionForm, ScheduleForm, SignOffForm
from reviews.models import Campaign, Decision, Item, ItemKind
from reviews.selectors import campaign_items, campaign_list, next_due_on, schedule_for, with_counts
from reviews.services import PERMISSION, campaign_sign_off, campaign_start, item_decide, schedule_update


@login_required
@never_cache
def campaigns_page(request: HttpRequest) -> HttpResponse:
    actor = console_actor(request, PERMISSION)
    form = CampaignStartForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                campaign = campaign_start(actor=actor, organization=actor.organization, **form.cleaned_data)
            except FieldError as exc:
                show_field_error(form, exc)
            else:
                messages.success(request, f"{campaign.name} started with {campaign.items.count()} item(s).")
                return redirect("access-review", campaign.public_id)
        status = 400
    schedule = schedule_for(actor.organization)
    context = {
        "campaigns": campaign_list(actor=actor),
        "form": form,
        "schedule": schedule,
        "next_due": next_due_on(actor.organization, schedule),
        "can_schedule": is_allowed(actor, "settings:manage", organization_resource(actor)),
    }
    return render(request, "reviews/list.html", context, status=status)


def _campaign(actor: Actor, campaign_id: str) -> Campaign:
    return tenant_get(with_counts(Campaign.objects.select_related("started_by", "signed_off_by")), actor, campaign_id)


def _detail(
    request: HttpRequest,
    actor: Actor,
    campaign: Campaign,
    *,
    bound: tuple[str, DecisionForm] | None = None,
    sign_off: SignOffForm | None = None,
    status: int = 200,
) -> HttpResponse:
    items = list(campaign_items(campaign))
    rows: list[dict[str, Any]] = []
    for item in items:
        form = bound[1] if bound is not None and bound[0] == item.public_id else DecisionForm(prefix=item.public_id)
        rows.append({"item": item, "form": form, "own": actor.user is not None and item.subject_id == actor.user.pk})
    context = {
        "campaign": campaign,
        "rows": rows,
        "sign_off": sign_off or SignOffForm(),
        "pending": sum(1 for item in items if item.decision == Decision.PENDING),
    }
    return render(request, "reviews/detail.html", context, status=status)


@login_required
@never_cache
def campaign_page(request: HttpRequest, campaign_id: str) -> HttpResponse:
    actor = console_actor(request, PERMISSION)
    return _detail(request, actor, _campaign(actor, campaign_id))


@login_required
@require_POST
def item_decide_view(request: HttpRequest, campaign_id: str, item_id: str) -> HttpResponse:
    actor = console_actor(request, PERMISSION)
    campaign = _campaign(actor, campaign_id)
    item = tenant_get(Item.objects.filter(campaign=campaign).select_related("subject", "campaign"), actor, item_id)
    form = DecisionForm(request.POST, prefix=item.public_id)
    if not form.is_valid():
        return _detail(request, actor, campaign, bound=(item.public_id, form), status=400)
    decision = form.cleaned_data["decision"]
    if decision == Decision.REVOKE:
        what = "role" if item.kind == ItemKind.ROLE else "API key"
        effect = (
            "their sessions lose its permissions on the next request"
            if item.kind == ItemKind.ROLE
            else "any request made with it is refused from now on"
        )
        confirm = confirmation(
            request,
            action="Revoke access",
            target=f"{item.subject.username}: {what} {item.grant_name}",
            consequences=f"The {what} is taken from {item.subject.username} at once ({effect}). "
            "The decision is final for this review.",
            button=f"Revoke {item.grant_name}",
            back=reverse("access-review", args=[campaign.public_id]),
        )
        if confirm is not None:
            return confirm
    try:
        item_decide(actor=actor, item=item, decision=decision, comment=form.cleaned_data["comment"])
    except GrantDenied as exc:
        form.add_error(None, exc.message)
    except FieldError as exc:
        show_field_error(form, exc)
    else:
        verb = "kept" if decision == Decision.KEEP else "revoked"
        messages.success(request, f"{item.grant_name} of {item.subject.username}: {verb}.")
        return redirect(f"{reverse('access-review', args=[campaign.public_id])}#item-{item.public_id}")
    return _detail(request, actor, _campaign(actor, campaign_id), bound=(item.public_id, form), status=400)


@login_required
@require_POST
def sign_off_view(request: HttpRequest, campaign_id: str) -> HttpResponse:
    actor = console_actor(request, PERMISSION)
    campaign = _campaign(actor, campaign_id)
    form = SignOffForm(request.POST)
    if form.is_valid():
        try:
            campaign_sign_off(actor=actor, campaign=campaign, note=form.cleaned_data["note"])
        except GrantDenied as exc:
            form.add_error(None, exc.message)
        except FieldError as exc:
            show_field_error(form, exc)
        else:
            messages.success(request, f"{campaign.name} is complete and signed off.")
            return redirect("access-review", campaign.public_id)
    return _detail(request, actor, campaign, sign_off=form, status=400)


def _reviewer_choices(actor: Actor) -> list[tuple[str, str]]:
    members = User.objects.filter(
        is_active=True, memberships__organization=actor.organization, memberships__is_active=True
    ).order_by("username")
    return [
        (user.public_id, user.username)
        for user in members
        if is_allowed(Actor(organization=actor.organization, user=user), PERMISSION, organization_resource(actor))
    ]


@login_required
@never_cache
def schedule_page(request: HttpRequest) -> HttpResponse:
    actor = console_actor(request, "settings:manage")
    schedule = schedule_for(actor.organization)
    initial = {"cadence_days": schedule.cadence_days, "review_days": schedule.review_days,
               "auto_start": schedule.auto_start,
               "reviewer_ids": list(schedule.reviewers.values_list("public_id", flat=True))}  # fmt: skip
    form = ScheduleForm(request.POST or None, initial=initial, reviewers=_reviewer_choices(actor))
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                schedule_update(actor=actor, **form.cleaned_data)
            except FieldError as exc:
                show_field_error(form, exc)
            else:
                messages.success(request, "The access review schedule was saved.")
                return redirect("access-reviews")
        status = 400
    return render(request, "reviews/schedule.html", {"form": form}, status=status)
