"""A PHI scan: the upload, its findings (positions and types, never values) and a redacted copy, all encrypted."""

from __future__ import annotations

import uuid
from functools import partial

from django.db import models

from accessctl.models import Organization, TenantModel, User
from core.ids import new_public_id
from encryption.fields import EncryptedBinaryField, EncryptedJSONField, EncryptedTextField


class ScanStatus(models.TextChoices):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class ScanFormat(models.TextChoices):
    TEXT = "text"
    JSONL = "jsonl"
    CSV = "csv"


class PhiScan(TenantModel):
    NOUN = "scan"

    encryption_row_key = "uid"

    public_id = models.CharField(max_length=48, unique=True, default=partial(new_public_id, "scan"))
    uid = models.UUIDField(default=uuid.uuid4, unique=True)
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="phi_scans")
    created_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    filename_hash = models.CharField(max_length=64, help_text="keyed hash: file names may carry PHI")
    filename = EncryptedTextField(help_text="as uploaded, sealed: file names may carry PHI")
    format = models.CharField(max_length=8, choices=ScanFormat.choices)
    size_bytes = models.PositiveIntegerField()
    upload = EncryptedBinaryField()
    status = models.CharField(max_length=10, choices=ScanStatus.choices, default=ScanStatus.QUEUED)
    progress_percent = models.PositiveSmallIntegerField(default=0)
    documents = models.PositiveIntegerField(default=0)
    counts = models.JSONField(default=dict, help_text="entities found by type")
    findings = EncryptedJSONField(level="standard")
    redacted = EncryptedBinaryField()
    error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.public_id
