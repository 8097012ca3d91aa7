"""Business Associate Agreements (45 CFR 164.502(e), 164.504(e)) and their history."""

from __future__ import annotations

from functools import partial

from django.db import models

from accessctl.models import Organization, TenantModel, User
from core.ids import new_public_id
from encryption.fields import EncryptedBinaryField


class BaaStatus(models.TextChoices):
    DRAFT = "draft"
    SENT = "sent"
    SIGNED = "signed"
    ACTIVE = "active"
    EXPIRING = "expiring"
    EXPIRED = "expired"
    TERMINATED = "terminated"


BAA_TRANSITIONS: dict[str, set[str]] = {
    BaaStatus.DRAFT: {BaaStatus.SENT, BaaStatus.TERMINATED},
    BaaStatus.SENT: {BaaStatus.DRAFT, BaaStatus.SIGNED, BaaStatus.TERMINATED},
    BaaStatus.SIGNED: {BaaStatus.ACTIVE, BaaStatus.EXPIRED, BaaStatus.TERMINATED},
    BaaStatus.ACTIVE: {BaaStatus.EXPIRING, BaaStatus.EXPIRED, BaaStatus.TERMINATED},
    BaaStatus.EXPIRING: {BaaStatus.ACTIVE, BaaStatus.EXPIRED, BaaStatus.TERMINATED},
    BaaStatus.EXPIRED: set(),
    BaaStatus.TERMINATED: set(),
}
IN_FORCE = (BaaStatus.ACTIVE, BaaStatus.EXPIRING)


class BusinessAssociateAgreement(TenantModel):
    NOUN = "agreement"

    encryption_row_key = "public_id"

    public_id = models.CharField(max_length=48, unique=True, default=partial(new_public_id, "baa"))
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="baas")
    counterparty = models.CharField(max_length=200, help_text="the covered entity or business associate")
    counterparty_contact = models.EmailField(blank=True)
    # Whom the agreement covers as the business associate receiving PHI: `aws`, `paitient` (PaiTIENT hosting the
    # runtime) or an external endpoint's vendor by host. Agreements recorded before this field cover PaiTIENT.
    business_associate = models.CharField(
        max_length=253, default="paitient", help_text="aws, paitient, or the host of an external endpoint's vendor"
    )
    scope = models.CharField(max_length=500, blank=True, help_text="the services and PHI the agreement covers")
    status = models.CharField(max_length=12, choices=BaaStatus.choices, default=BaaStatus.DRAFT)
    effective_date = models.DateField()
    expiry_date = models.DateField()
    reminder_days = models.PositiveSmallIntegerField(default=30, help_text="days before expiry it becomes expiring")
    signatory = models.CharField(max_length=200, blank=True)
    signed_at = models.DateTimeField(null=True, blank=True)
    document = EncryptedBinaryField()
    document_name = models.CharField(max_length=200, blank=True)
    document_sha256 = models.CharField(max_length=64, blank=True)
    document_size = models.PositiveIntegerField(default=0)
    termination_reason = models.CharField(max_length=300, blank=True)
    last_reminder_on = models.DateField(null=True, blank=True)
    created_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["organization", "status"])]

    def __str__(self) -> str:
        return f"BAA with {self.counterparty} ({self.status})"

    @property
    def resource(self) -> str:
        return f"baa/{self.public_id}"


class BaaHistory(models.Model):
    """Each status change of a BAA, who made it and when (the audit log holds the same, chained)."""

    baa = models.ForeignKey(BusinessAssociateAgreement, on_delete=models.CASCADE, related_name="history")
    from_status = models.CharField(max_length=12, blank=True)
    to_status = models.CharField(max_length=12)
    actor = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    note = models.CharField(max_length=300, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.from_status or 'new'} → {self.to_status}"


class EvidenceKind(models.TextChoices):
    BREACH_PROCEDURE = "breach_procedure", "Breach notification procedure"
    TRAINING = "training", "Training record"
    POLICY = "policy", "Policies and procedures"
    OTHER = "other", "Other supporting document"


class ChecklistEvidence(TenantModel):
    """A document or link that supports a checklist item (a training record names the member it covers).

    Evidence is revoked, never deleted, so the checklist's history can always be explained."""

    NOUN = "evidence"

    encryption_row_key = "public_id"

    public_id = models.CharField(max_length=48, unique=True, default=partial(new_public_id, "evd"))
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="checklist_evidence")
    item = models.CharField(max_length=32)
    kind = models.CharField(max_length=20, choices=EvidenceKind.choices)
    title = models.CharField(max_length=200)
    file = EncryptedBinaryField()
    file_name = models.CharField(max_length=200, blank=True)
    file_type = models.CharField(max_length=100, blank=True, help_text="content type found from the file's bytes")
    file_sha256 = models.CharField(max_length=64, blank=True)
    file_size = models.PositiveIntegerField(default=0)
    link = models.URLField(max_length=500, blank=True)
    owner = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    subject_user = models.ForeignKey(
        User,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="whom a training record covers",
    )
    effective_date = models.DateField()
    expiry_date = models.DateField(null=True, blank=True)
    created_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-effective_date", "-created_at", "-id"]
        indexes = [models.Index(fields=["organization", "item", "kind"])]

    def __str__(self) -> str:
        return f"{self.kind} evidence for {self.item}: {self.title}"

    @property
    def resource(self) -> str:
        return f"checklist/{self.item}"

    @property
    def has_file(self) -> bool:
        return bool(self.file_sha256)


class ChecklistSnapshot(models.Model):
    """The checklist as evaluated at one moment: {item: {"status", "reasons"}} (daily, and on every change)."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="checklist_snapshots")
    taken_at = models.DateTimeField()
    trigger = models.CharField(max_length=16, help_text="scheduled (daily), change (seen on evaluation) or initial")
    results = models.JSONField(default=dict)
    audit_chain = models.JSONField(
        default=dict, blank=True, help_text="the full audit-chain verification the daily run did, if any"
    )

    class Meta:
        ordering = ["-taken_at", "-id"]
        indexes = [models.Index(fields=["organization", "-taken_at"])]

    def __str__(self) -> str:
        return f"checklist of {self.organization_id} at {self.taken_at:%Y-%m-%d %H:%M}"
