"""Organisation keys: public halves in the clear, private halves sealed under the master key."""

from __future__ import annotations

from django.db import models

from accessctl.models import Organization


class KeyAlgorithm(models.TextChoices):
    HYBRID = "hybrid-x25519-mlkem768", "Hybrid X25519 + ML-KEM-768 (maximum)"
    AES = "aes-256-gcm", "AES-256-GCM (standard)"
    HMAC = "hmac-sha256", "HMAC-SHA256 (blind indexes, consistent pseudonyms)"


class KeyStatus(models.TextChoices):
    ACTIVE = "active"
    RETIRED = "retired"  # still decrypts; no longer encrypts
    DESTROYED = "destroyed"  # crypto-shredded: what it protected is unreadable


class OrganizationKey(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="encryption_keys")
    key_id = models.CharField(max_length=32, unique=True)
    algorithm = models.CharField(max_length=32, choices=KeyAlgorithm.choices)
    public_key = models.BinaryField(blank=True, default=b"")
    sealed_secret = models.BinaryField(blank=True, default=b"")
    master_key_id = models.CharField(max_length=64)
    status = models.CharField(max_length=10, choices=KeyStatus.choices, default=KeyStatus.ACTIVE)
    created_at = models.DateTimeField(auto_now_add=True)
    retired_at = models.DateTimeField(null=True, blank=True)
    destroyed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["organization", "-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "algorithm"],
                condition=models.Q(status="active"),
                name="one_active_key_per_algorithm",
            )
        ]

    def __str__(self) -> str:
        return f"{self.algorithm} {self.key_id} ({self.status})"
