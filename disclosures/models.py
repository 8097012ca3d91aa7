"""Disclosures: one row per inference or scan that involved identifiers, and their keyed hashes (never values)."""

from __future__ import annotations

from functools import partial

from django.db import models

from accessctl.models import Organization, TenantModel, User
from core.ids import new_public_id


class DisclosureKind(models.TextChoices):
    INFERENCE = "inference"
    SCAN = "scan"


class Disclosure(TenantModel):
    """Who received what about whom: the inference (or scan), its deployment and provider (the business
    associate), the user or API key, the PHI mode and whether identifiers were removed before the text left."""

    NOUN = "disclosure"

    public_id = models.CharField(max_length=48, unique=True, default=partial(new_public_id, "dsc"))
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="disclosures")
    kind = models.CharField(max_length=10, choices=DisclosureKind.choices)
    reference = models.CharField(max_length=48, help_text="the inference id (inf_…) or the scan id (scan_…)")
    deployment_id = models.CharField(max_length=48, blank=True)
    deployment_name = models.CharField(max_length=100, blank=True)
    provider = models.CharField(max_length=32, blank=True)
    recipient = models.CharField(max_length=200, blank=True, help_text="the business associate; empty: none")
    user = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    user_id_label = models.CharField(max_length=48, blank=True, help_text="user public id, kept if the user goes")
    api_key_id = models.CharField(max_length=48, blank=True)
    mode = models.CharField(max_length=12)
    redacted = models.BooleanField(null=True, help_text="identifiers removed before leaving; null: nothing left")
    identifiers = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["organization", "-created_at"], name="disclosure_org_time")]

    def __str__(self) -> str:
        return self.public_id


class DisclosureIdentifier(models.Model):
    """HMAC-SHA256(organisation's disclosure key, kind ‖ normalised value): matchable only while the
    organisation's HMAC key exists, so crypto-shredding the organisation leaves every digest unmatchable."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    disclosure = models.ForeignKey(Disclosure, on_delete=models.CASCADE, related_name="digests")
    digest = models.CharField(max_length=64)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["disclosure", "digest"], name="one_digest_per_disclosure")]
        indexes = [models.Index(fields=["organization", "digest"], name="disclosure_digest_lookup")]

    def __str__(self) -> str:
        return f"{self.disclosure_id}:{self.digest[:8]}"
