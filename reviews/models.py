"""Access reviews: the organisation's review schedule, campaigns and their items (one role or API key of one
member, snapshotted when the campaign starts, decided keep or revoke by a reviewer other than its holder)."""

from __future__ import annotations

from datetime import date
from functools import partial

from django.db import models
from django.utils import timezone

from accessctl.models import ApiKey, Organization, Role, TenantModel, User
from core.ids import new_public_id


class Cadence(models.IntegerChoices):
    MONTHLY = 30, "Monthly"
    QUARTERLY = 91, "Quarterly"
    HALF_YEARLY = 182, "Every six months"
    YEARLY = 365, "Yearly"


DEFAULT_REVIEW_DAYS = 14


class ReviewSchedule(models.Model):
    """How often the organisation reviews access, how long a campaign has, and who reviews (empty: anyone
    holding `access:review`). One per organisation, made with the defaults when first read."""

    organization = models.OneToOneField(Organization, on_delete=models.CASCADE, related_name="review_schedule")
    cadence_days = models.PositiveSmallIntegerField(choices=Cadence.choices, default=Cadence.QUARTERLY)
    review_days = models.PositiveSmallIntegerField(
        default=DEFAULT_REVIEW_DAYS, help_text="a campaign is due this many days after it starts"
    )
    auto_start = models.BooleanField(default=True, help_text="the scheduler starts a campaign when one is due")
    reviewers = models.ManyToManyField(User, blank=True, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"access review schedule of {self.organization}"


class CampaignStatus(models.TextChoices):
    OPEN = "open"
    COMPLETED = "completed"


class Campaign(TenantModel):
    """One review of everyone's access: open until every item is decided and a reviewer signs it off."""

    NOUN = "access review"

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="access_reviews")
    public_id = models.CharField(max_length=48, unique=True, default=partial(new_public_id, "arv"))
    name = models.CharField(max_length=120)
    status = models.CharField(max_length=10, choices=CampaignStatus.choices, default=CampaignStatus.OPEN)
    started_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+", help_text="empty: the scheduler"
    )
    due_on = models.DateField()
    overdue_recorded_at = models.DateTimeField(null=True, blank=True, help_text="when the scheduler audited it late")
    completed_at = models.DateTimeField(null=True, blank=True)
    signed_off_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    sign_off_note = models.CharField(max_length=1000, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["organization", "status"], name="reviews_campaign_org_status")]
        constraints = [
            # At most one open campaign per organisation: the scheduler and a person starting one at once
            # cannot both succeed.
            models.UniqueConstraint(
                fields=["organization"], condition=models.Q(status="open"), name="reviews_one_open_campaign"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.public_id})"

    @property
    def resource(self) -> str:
        return f"access-review/{self.public_id}"

    def is_overdue(self, today: date | None = None) -> bool:
        return self.status == CampaignStatus.OPEN and self.due_on < (today or timezone.localdate())

    @property
    def overdue(self) -> bool:
        return self.is_overdue()


class ItemKind(models.TextChoices):
    ROLE = "role"
    API_KEY = "api_key"


class Decision(models.TextChoices):
    PENDING = "pending"
    KEEP = "keep"
    REVOKE = "revoke"


class Item(TenantModel):
    """One grant under review. The names are copied when the campaign starts, so the record still says what
    was reviewed after the role or key is gone."""

    NOUN = "review item"

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    public_id = models.CharField(max_length=48, unique=True, default=partial(new_public_id, "ari"))
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="items")
    subject = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=10, choices=ItemKind.choices)
    role = models.ForeignKey(Role, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    api_key = models.ForeignKey(ApiKey, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    grant_name = models.CharField(max_length=100, help_text="the role's or the key's name")
    key_prefix = models.CharField(max_length=16, blank=True, help_text="keys: the public prefix")
    permissions = models.JSONField(default=list, help_text="what the grant allowed when the campaign started")
    granted_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True, help_text="keys: last use when snapshotted")
    decision = models.CharField(max_length=10, choices=Decision.choices, default=Decision.PENDING)
    decided_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    comment = models.CharField(max_length=1000, blank=True)
    revoked = models.BooleanField(default=False, help_text="a revoke removed a grant that was still there")

    class Meta:
        ordering = ["subject__username", "kind", "grant_name", "id"]
        indexes = [models.Index(fields=["campaign", "decision"], name="reviews_item_campaign_decision")]

    def __str__(self) -> str:
        return f"{self.kind} {self.grant_name} of {self.subject} ({self.decision})"

    @property
    def resource(self) -> str:
        return f"access-review/{self.campaign.public_id}"

    @property
    def target(self) -> str:
        """The grant as the audit log names it elsewhere (`role/<name>`, `api-key/<prefix>`)."""
        if self.kind == ItemKind.ROLE:
            return f"role/{self.grant_name}"
        return f"api-key/{self.key_prefix}"
