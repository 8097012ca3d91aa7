"""Test helpers for access reviews."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from accessctl.models import Organization, User
from reviews.models import Campaign, CampaignStatus


def completed_review(organization: Organization, *, days_ago: int = 0, signed_off_by: User | None = None) -> Campaign:
    """A signed-off access review (without items) completed `days_ago` days ago: evidence for the checklist."""
    when = timezone.now() - timedelta(days=days_ago)
    campaign = Campaign.objects.create(
        organization=organization,
        name=f"Review {days_ago} days ago",
        due_on=timezone.localdate(when) + timedelta(days=14),
        status=CampaignStatus.COMPLETED,
        completed_at=when,
        signed_off_by=signed_off_by,
    )
    Campaign.objects.filter(pk=campaign.pk).update(created_at=when)
    return campaign
