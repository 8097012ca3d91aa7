"""Breach response records: the four-factor risk assessment (versioned), rendered notices, notifications made."""

from __future__ import annotations

from functools import partial

from django.db import models

from accessctl.models import Organization, User
from core.ids import new_public_id
from encryption.fields import EncryptedBinaryField, EncryptedTextField
from incidents.assessment import FACTORS, REIDENTIFICATION, RESULTS


class RiskAssessment(models.Model):
    """One version of an incident's assessment; a new answer adds a version, the old ones are kept."""

    encryption_row_key = "public_id"

    public_id = models.CharField(max_length=48, unique=True, default=partial(new_public_id, "ra"))
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    incident = models.ForeignKey("incidents.Incident", on_delete=models.CASCADE, related_name="assessments")
    version = models.PositiveIntegerField()
    nature_extent = models.CharField(max_length=24, choices=FACTORS["nature_extent"].choices)
    identifier_types = models.JSONField(default=list)
    reidentification = models.CharField(max_length=10, choices=[(v, label) for v, label, _ in REIDENTIFICATION])
    nature_extent_notes = EncryptedTextField()
    recipient = models.CharField(max_length=24, choices=FACTORS["recipient"].choices)
    recipient_notes = EncryptedTextField()
    acquired = models.CharField(max_length=24, choices=FACTORS["acquired"].choices)
    acquired_notes = EncryptedTextField()
    mitigation = models.CharField(max_length=24, choices=FACTORS["mitigation"].choices)
    mitigation_notes = EncryptedTextField()
    scores = models.JSONField(default=dict)
    result = models.CharField(max_length=20, choices=list(RESULTS.items()))
    reasoning = models.JSONField(default=list, help_text="sentences built from the choices (no free text)")
    affected_individuals = models.PositiveIntegerField(default=0)
    affected_by_jurisdiction = models.JSONField(default=dict, help_text="state or territory code -> residents")
    assessed_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["incident", "-version"]
        constraints = [models.UniqueConstraint(fields=["incident", "version"], name="assessment_unique_version")]

    def __str__(self) -> str:
        return f"{self.public_id} v{self.version}"

    @property
    def notifiable(self) -> bool:
        return self.result == "notifiable_breach"


class NoticeKind(models.TextChoices):
    INDIVIDUAL = "individual", "Notice to individuals (164.404)"
    MEDIA = "media", "Notice to the media (164.406)"
    HHS = "hhs", "Notice to the Secretary of HHS (164.408)"


class NoticeStatus(models.TextChoices):
    QUEUED = "queued"
    READY = "ready"
    FAILED = "failed"


class Notice(models.Model):
    """A notification letter rendered to PDF by the worker: a template for the mail merge, sealed at rest."""

    encryption_row_key = "public_id"

    public_id = models.CharField(max_length=48, unique=True, default=partial(new_public_id, "ntc"))
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    incident = models.ForeignKey("incidents.Incident", on_delete=models.CASCADE, related_name="notices")
    kind = models.CharField(max_length=12, choices=NoticeKind.choices)
    jurisdiction = models.CharField(max_length=2, blank=True, help_text="media notices: the state or territory")
    status = models.CharField(max_length=8, choices=NoticeStatus.choices, default=NoticeStatus.QUEUED)
    error = models.CharField(max_length=300, blank=True)
    content = EncryptedBinaryField()
    sha256 = models.CharField(max_length=64, blank=True)
    size_bytes = models.PositiveBigIntegerField(default=0)
    requested_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.public_id

    @property
    def filename(self) -> str:
        suffix = f"-{self.jurisdiction}" if self.jurisdiction else ""
        return f"{self.incident.public_id}-{self.kind}{suffix}-notice.pdf"


class NotificationKind(models.TextChoices):
    INDIVIDUAL = "individual", "Individuals notified"
    MEDIA = "media", "Media notified"
    HHS = "hhs", "HHS notified"
    HHS_ANNUAL = "hhs_annual", "Logged for the HHS annual report"


class NotificationRecord(models.Model):
    """That a notification required by the deadlines was made, when, and by whom."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    incident = models.ForeignKey("incidents.Incident", on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=12, choices=NotificationKind.choices)
    jurisdiction = models.CharField(max_length=2, blank=True)
    notified_on = models.DateField()
    recorded_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["notified_on", "id"]
        constraints = [
            models.UniqueConstraint(fields=["incident", "kind", "jurisdiction"], name="notification_unique_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.jurisdiction} on {self.notified_on}"
