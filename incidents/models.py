"""Breach detection and response: thresholds, the detection cursor, alerts, incidents, their timeline and notes,
and the response records: the four-factor risk assessment (versioned), rendered notices, notifications made."""

from __future__ import annotations

from functools import partial

from django.db import models

from accessctl.models import Organization, TenantModel, User
from core.ids import new_public_id
from encryption.fields import EncryptedBinaryField, EncryptedTextField
from incidents.assessment import FACTORS, REIDENTIFICATION, RESULTS


class Severity(models.TextChoices):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


SEVERITY_RANK: dict[str, int] = {"low": 0, "medium": 1, "high": 2, "critical": 3}


class Status(models.TextChoices):
    OPEN = "open"
    INVESTIGATING = "investigating"
    CONTAINED = "contained"
    RESOLVED = "resolved"
    REPORTED = "reported"


# open → investigating → contained → resolved | reported. A false positive may be resolved straight from
# open or investigating; a resolved breach is later `reported` once its notifications went out.
TRANSITIONS: dict[str, set[str]] = {
    Status.OPEN: {Status.INVESTIGATING, Status.RESOLVED},
    Status.INVESTIGATING: {Status.CONTAINED, Status.RESOLVED},
    Status.CONTAINED: {Status.RESOLVED, Status.REPORTED},
    Status.RESOLVED: {Status.REPORTED, Status.INVESTIGATING},
    Status.REPORTED: set(),
}
ACTIVE_STATUSES = (Status.OPEN, Status.INVESTIGATING, Status.CONTAINED)


class Rule(models.TextChoices):
    BULK_PHI_ACCESS = "bulk_phi_access", "Bulk PHI access"
    IP_RESTRICTION = "ip_restriction", "Access from outside the IP restrictions"
    REPEATED_DENIALS = "repeated_denials", "Repeated denied requests"
    LOGIN_FAILED_THEN_SUCCEEDED = "login_failed_then_succeeded", "Failed sign-ins, then a success"
    BREAK_GLASS = "break_glass", "Emergency (break-glass) access used"
    AUDIT_VERIFICATION = "audit_verification", "Audit log verification failed"
    DEPROVISIONED_ANSWERING = "deprovisioned_answering", "Stopped deployment still answering"


class DetectionThresholds(models.Model):
    """Per organisation: how many events of a kind, in how many minutes, make an alert."""

    organization = models.OneToOneField(Organization, on_delete=models.CASCADE, related_name="detection_thresholds")
    bulk_phi_count = models.PositiveIntegerField(default=200)
    bulk_phi_window_minutes = models.PositiveIntegerField(default=10)
    denial_count = models.PositiveIntegerField(default=10)
    denial_window_minutes = models.PositiveIntegerField(default=5)
    login_failure_count = models.PositiveIntegerField(default=5)
    login_window_minutes = models.PositiveIntegerField(default=15)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"detection thresholds of {self.organization_id}"


class DetectionCursor(models.Model):
    """How far detection has read one audit chain (the last `seq` scanned) and when the slow checks ran."""

    chain = models.CharField(max_length=48, primary_key=True)
    organization = models.OneToOneField(Organization, on_delete=models.CASCADE, related_name="+")
    last_seq = models.BigIntegerField(default=0)
    full_verified_at = models.DateTimeField(null=True, blank=True)
    deployments_checked_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.chain} scanned to {self.last_seq}"


class Incident(TenantModel):
    NOUN = "incident"

    public_id = models.CharField(max_length=48, unique=True, default=partial(new_public_id, "inc"))
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="incidents")
    title = models.CharField(max_length=200, help_text="what happened, in words without PHI")
    severity = models.CharField(max_length=10, choices=Severity.choices, default=Severity.MEDIUM)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    owner = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    discovered_at = models.DateTimeField(help_text="when the breach was known, or should have been (164.404(a)(2))")
    source = models.CharField(max_length=16, choices=[("manual", "manual"), ("detection", "detection")])
    created_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-discovered_at", "-id"]
        indexes = [models.Index(fields=["organization", "status"], name="incident_org_status")]

    def __str__(self) -> str:
        return self.public_id

    @property
    def resource(self) -> str:
        return f"incident/{self.public_id}"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES


class Alert(models.Model):
    """One rule firing on one actor, address or object over one burst; `dedupe_key` keeps a burst to one row."""

    public_id = models.CharField(max_length=48, unique=True, default=partial(new_public_id, "alr"))
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    rule = models.CharField(max_length=32, choices=Rule.choices)
    severity = models.CharField(max_length=10, choices=Severity.choices)
    key = models.CharField(max_length=200, help_text="the actor, address, grant or deployment the rule counted by")
    window_start = models.DateTimeField()
    window_end = models.DateTimeField()
    first_seq = models.BigIntegerField(null=True, blank=True)
    last_seq = models.BigIntegerField(null=True, blank=True)
    event_count = models.PositiveIntegerField(default=0)
    event_ids = models.JSONField(default=list, help_text="the first triggering audit events (capped)")
    dedupe_key = models.CharField(max_length=250)
    details = models.JSONField(default=dict, help_text="thresholds and reasons; ids and counts, never PHI")
    incident = models.ForeignKey(Incident, on_delete=models.SET_NULL, null=True, blank=True, related_name="alerts")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "dedupe_key"], name="alert_unique_dedupe_key"),
        ]
        indexes = [models.Index(fields=["organization", "rule", "key"], name="alert_org_rule_key")]

    def __str__(self) -> str:
        return f"{self.rule} on {self.key}"


class IncidentEvent(models.Model):
    """An audit event on an incident's timeline (the audit log has no foreign keys pointing into it)."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="timeline")
    event_id = models.CharField(max_length=48)
    seq = models.BigIntegerField(null=True, blank=True)
    event_type = models.CharField(max_length=80)
    timestamp = models.DateTimeField()
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["timestamp", "id"]
        constraints = [models.UniqueConstraint(fields=["incident", "event_id"], name="incident_event_unique")]

    def __str__(self) -> str:
        return f"{self.event_id} on {self.incident_id}"


class IncidentNote(models.Model):
    """An investigator's note; it may hold PHI, so the text is sealed for the organisation."""

    encryption_row_key = "public_id"

    public_id = models.CharField(max_length=48, unique=True, default=partial(new_public_id, "note"))
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    text = EncryptedTextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.public_id


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


__all__ = [
    "Alert",
    "DetectionCursor",
    "DetectionThresholds",
    "Incident",
    "IncidentEvent",
    "IncidentNote",
    "Notice",
    "NotificationRecord",
    "RiskAssessment",
]
