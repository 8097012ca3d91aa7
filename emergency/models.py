"""Emergency (break-glass) access, 45 CFR 164.312(a)(2)(ii): the organisation's policy, requests with M-of-N
approval, the time-boxed grants they become, and in-console notifications."""

from __future__ import annotations

from functools import partial

from django.db import models

from accessctl.models import Organization, User
from core.ids import new_public_id
from encryption.fields import EncryptedTextField


class EmergencyAccessPolicy(models.Model):
    organization = models.OneToOneField(Organization, on_delete=models.CASCADE, related_name="emergency_policy")
    enabled = models.BooleanField(default=False)
    authorized_roles = models.JSONField(default=list, help_text="role names whose members may request")
    require_multi_approval = models.BooleanField(default=True)
    approvals_required = models.PositiveSmallIntegerField(default=2, help_text="used when multi-approval is on")
    access_duration_hours = models.PositiveSmallIntegerField(default=4)
    request_ttl_hours = models.PositiveSmallIntegerField(default=24, help_text="a pending request expires after")
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"emergency access policy of {self.organization}"

    @property
    def approvals_needed(self) -> int:
        return max(2, self.approvals_required) if self.require_multi_approval else 1


class RequestStatus(models.TextChoices):
    PENDING = "pending"
    APPROVED = "approved"  # the grant is live until grant_expires_at
    DENIED = "denied"
    EXPIRED = "expired"  # a pending request nobody decided in time, or a grant past its end
    REVOKED = "revoked"
    CANCELLED = "cancelled"


class ReviewStatus(models.TextChoices):
    NOT_NEEDED = "not_needed"
    PENDING = "pending"
    REVIEWED = "reviewed"


class EmergencyAccessRequest(models.Model):
    encryption_row_key = "public_id"

    public_id = models.CharField(max_length=48, unique=True, default=partial(new_public_id, "brk"))
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="emergency_requests")
    requester = models.ForeignKey(User, on_delete=models.PROTECT, related_name="emergency_requests")
    reason = EncryptedTextField(help_text="why: may name a patient, so sealed")
    resource = models.CharField(max_length=200, help_text="glob over <kind>/<name>, e.g. deployment/icu-*")
    permissions = models.JSONField(default=list)
    status = models.CharField(max_length=10, choices=RequestStatus.choices, default=RequestStatus.PENDING)
    approvals_needed = models.PositiveSmallIntegerField()
    duration_hours = models.PositiveSmallIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)
    pending_until = models.DateTimeField()
    granted_at = models.DateTimeField(null=True, blank=True)
    grant_expires_at = models.DateTimeField(null=True, blank=True, db_index=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    review_status = models.CharField(max_length=12, choices=ReviewStatus.choices, default=ReviewStatus.NOT_NEEDED)
    reviewed_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_notes = EncryptedTextField()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["organization", "status"]), models.Index(fields=["requester", "status"])]

    def __str__(self) -> str:
        return f"{self.public_id} ({self.status})"

    @property
    def resource_label(self) -> str:
        return f"emergency-access/{self.public_id}"


class Decision(models.TextChoices):
    APPROVE = "approve"
    DENY = "deny"


class EmergencyAccessDecision(models.Model):
    encryption_row_key = "uid"

    uid = models.CharField(max_length=48, unique=True, default=partial(new_public_id, "dec"))
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    request = models.ForeignKey(EmergencyAccessRequest, on_delete=models.CASCADE, related_name="decisions")
    approver = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    decision = models.CharField(max_length=8, choices=Decision.choices)
    comment = EncryptedTextField()
    decided_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["decided_at", "id"]
        constraints = [models.UniqueConstraint(fields=["request", "approver"], name="one_decision_per_approver")]

    def __str__(self) -> str:
        return f"{self.decision} by {self.approver_id}"


class Notification(models.Model):
    """An in-console notice for one user (the approver inbox, grant decisions); no PHI in text."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notifications")
    text = models.CharField(max_length=300)
    link = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.text
