"""Where an organisation's audit events go as OCSF (an HTTPS collector or syslog over TLS), and how far they got."""

from __future__ import annotations

from functools import partial

from django.db import models

from accessctl.models import Organization, User
from core.ids import new_public_id
from encryption.fields import EncryptedTextField


class DestinationKind(models.TextChoices):
    HTTPS = "https", "HTTPS collector (OCSF JSON lines)"
    SYSLOG = "syslog", "Syslog over TLS (RFC 5424, RFC 5425 framing)"


class SiemDestination(models.Model):
    """One collector. `cursor_seq` is the last sequence number of the organisation's chain the collector
    acknowledged: delivery resumes after it, so every event is sent at least once and in chain order."""

    encryption_row_key = "public_id"

    public_id = models.CharField(max_length=48, unique=True, default=partial(new_public_id, "siem"))
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="siem_destinations")
    name = models.CharField(max_length=80)
    kind = models.CharField(max_length=10, choices=DestinationKind.choices)
    url = models.CharField(max_length=500, blank=True, help_text="HTTPS collectors: where the batches are POSTed")
    host = models.CharField(max_length=253, blank=True, help_text="syslog: the receiver's host name or address")
    port = models.PositiveIntegerField(null=True, blank=True, help_text="syslog: the receiver's TLS port")
    token = EncryptedTextField(help_text="HTTPS collectors: the bearer token, sealed; never shown again")
    ca_pem = models.TextField(blank=True, help_text="PEM certificates to trust beyond the system's (a private CA)")
    enabled = models.BooleanField(default=True)
    batch_size = models.PositiveIntegerField(default=500)
    cursor_seq = models.BigIntegerField(default=0)
    delivered = models.BigIntegerField(default=0, help_text="events acknowledged so far (duplicates counted)")
    consecutive_failures = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=200, blank=True, help_text="why the last attempt failed; no secrets")
    created_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint(fields=["organization", "name"], name="siem_destination_unique_name")]

    def __str__(self) -> str:
        return f"{self.name} ({self.kind})"

    @property
    def resource_label(self) -> str:
        return f"siem/{self.public_id}"

    @property
    def has_token(self) -> bool:
        return bool(self.__dict__.get("token"))
