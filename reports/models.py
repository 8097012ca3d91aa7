"""A compliance report: what was asked for, the worker's progress, and the output (sealed, with its SHA-256)."""

from __future__ import annotations

from functools import partial

from django.db import models

from accessctl.models import Organization, TenantModel, User
from core.ids import new_public_id
from encryption.fields import EncryptedBinaryField


class ReportType(models.TextChoices):
    HIPAA = "hipaa", "HIPAA"
    SOC2 = "soc2", "SOC 2"


class TimePeriod(models.TextChoices):
    LAST_7_DAYS = "last_7_days", "Last 7 days"
    LAST_30_DAYS = "last_30_days", "Last 30 days"
    LAST_90_DAYS = "last_90_days", "Last 90 days"
    CUSTOM = "custom", "Custom dates"


class OutputFormat(models.TextChoices):
    PDF = "pdf", "PDF"
    JSON = "json", "JSON"
    CSV = "csv", "CSV"


class ReportStatus(models.TextChoices):
    QUEUED = "queued"
    RENDERING = "rendering"
    READY = "ready"
    FAILED = "failed"


CONTENT_TYPES = {
    OutputFormat.PDF: "application/pdf",
    OutputFormat.JSON: "application/json",
    OutputFormat.CSV: "text/csv; charset=utf-8",
}


class ComplianceReport(TenantModel):
    NOUN = "report"

    encryption_row_key = "public_id"

    public_id = models.CharField(max_length=48, unique=True, default=partial(new_public_id, "rpt"))
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="compliance_reports")
    requested_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    report_type = models.CharField(max_length=16, choices=ReportType.choices, default=ReportType.HIPAA)
    time_period = models.CharField(max_length=16, choices=TimePeriod.choices)
    period_start = models.DateTimeField()
    period_end = models.DateTimeField(help_text="exclusive")
    sections = models.JSONField(default=list)
    output_format = models.CharField(max_length=8, choices=OutputFormat.choices, default=OutputFormat.PDF)
    status = models.CharField(max_length=10, choices=ReportStatus.choices, default=ReportStatus.QUEUED)
    progress_percent = models.PositiveSmallIntegerField(default=0)
    progress_stage = models.CharField(max_length=100, blank=True)
    error = models.CharField(max_length=300, blank=True)
    content = EncryptedBinaryField(help_text="the rendered output, sealed for the organisation")
    sha256 = models.CharField(max_length=64, blank=True, help_text="of the output as downloaded")
    size_bytes = models.PositiveBigIntegerField(default=0)
    figures = models.JSONField(default=dict, help_text="headline counts per section (never PHI)")
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["organization", "-created_at"], name="report_org_created")]

    def __str__(self) -> str:
        return self.public_id

    @property
    def resource(self) -> str:
        return f"report/{self.report_type}"

    @property
    def content_type(self) -> str:
        return CONTENT_TYPES[OutputFormat(self.output_format)]

    @property
    def filename(self) -> str:
        return f"{self.public_id}-{self.report_type}.{self.output_format}"
