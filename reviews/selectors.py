"""Reads for access reviews, always scoped to one organisation."""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from reviews.models import Campaign, CampaignStatus, Decision, Item, ReviewSchedule

if TYPE_CHECKING:
    from accessctl.actor import Actor
    from accessctl.models import Organization


def schedule_for(organization: Organization) -> ReviewSchedule:
    """The organisation's schedule, made with the defaults (quarterly, 14 days, started by the scheduler)."""
    return ReviewSchedule.objects.get_or_create(organization=organization)[0]


def with_counts(campaigns: QuerySet[Campaign]) -> QuerySet[Campaign]:
    return campaigns.annotate(
        item_count=Count("items"),
        pending_count=Count("items", filter=Q(items__decision=Decision.PENDING)),
        kept_count=Count("items", filter=Q(items__decision=Decision.KEEP)),
        revoked_count=Count("items", filter=Q(items__decision=Decision.REVOKE)),
    )


def campaign_list(*, actor: Actor) -> QuerySet[Campaign]:
    found = Campaign.objects.filter(organization=actor.organization).select_related("started_by", "signed_off_by")
    return with_counts(found).order_by("-created_at", "-id")


def campaign_items(campaign: Campaign) -> QuerySet[Item]:
    return campaign.items.select_related("subject", "decided_by").order_by("subject__username", "kind", "grant_name")


def open_campaign(organization: Organization) -> Campaign | None:
    return with_counts(Campaign.objects.filter(organization=organization, status=CampaignStatus.OPEN)).first()


def latest_completed(organization: Organization) -> Campaign | None:
    return (
        with_counts(Campaign.objects.filter(organization=organization, status=CampaignStatus.COMPLETED))
        .select_related("signed_off_by")
        .order_by("-completed_at", "-id")
        .first()
    )


def next_due_on(organization: Organization, schedule: ReviewSchedule | None = None) -> date:
    """When the next campaign should start: a cadence after the last one started, or today if none ever did."""
    schedule = schedule or schedule_for(organization)
    last = Campaign.objects.filter(organization=organization).order_by("-created_at").first()
    if last is None:
        return timezone.localdate()
    return timezone.localdate(last.created_at) + timedelta(days=schedule.cadence_days)
