"""The append-only audit log: events, per-chain heads, signed checkpoints, signing keys, retention."""

from __future__ import annotations

from functools import partial

from django.db import models

from accessctl.models import Organization
from audit.fields import CanonicalJSONField
from core.ids import new_public_id

PLATFORM_CHAIN = "platform"


class Outcome(models.TextChoices):
    SUCCESS = "success"
    DENIED = "denied"
    ERROR = "error"
    CANCELLED = "cancelled"  # the caller went away part-way (a streamed answer whose client disconnected)


class ActorType(models.TextChoices):
    USER = "user"
    API_KEY = "api_key"
    SYSTEM = "system"
    ANONYMOUS = "anonymous"


class AuditEvent(models.Model):
    """One event. Content and `leaf_hash` are written once; the sequencer sets `seq`, `prev_hash`, `hash`
    once; a database trigger refuses every other UPDATE and every DELETE outside the retention purge."""

    event_id = models.CharField(max_length=48, unique=True, default=partial(new_public_id, "evt", length=20))
    # No database FK: every INSERT would share-lock the organisation row, and concurrent writers of one
    # organisation then serialise on MultiXact updates of that row (measured: 5x slower appends).
    organization = models.ForeignKey(
        Organization, on_delete=models.DO_NOTHING, null=True, related_name="+", db_constraint=False
    )
    chain = models.CharField(max_length=48)
    seq = models.BigIntegerField(null=True)
    timestamp = models.DateTimeField()
    actor_type = models.CharField(max_length=16, choices=ActorType.choices)
    actor_id = models.CharField(max_length=64, blank=True)
    user_id = models.CharField(max_length=48, blank=True)
    api_key_id = models.CharField(max_length=48, blank=True)
    ip = models.GenericIPAddressField(null=True)
    user_agent = models.CharField(max_length=300, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    event_type = models.CharField(max_length=80)
    resource = models.CharField(max_length=200, blank=True)
    resource_id = models.CharField(max_length=64, blank=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    details = CanonicalJSONField(default=dict)
    leaf_hash = models.CharField(max_length=64)
    prev_hash = models.CharField(max_length=64, blank=True)
    hash = models.CharField(max_length=64, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["chain", "seq"], name="audit_event_unique_seq_per_chain")]
        indexes = [
            models.Index(fields=["chain", "timestamp"], name="audit_chain_ts"),
            models.Index(fields=["chain", "event_type", "timestamp"], name="audit_chain_type_ts"),
            models.Index(fields=["chain", "resource_id"], name="audit_chain_resource"),
            models.Index(fields=["chain", "user_id"], name="audit_chain_user"),
            models.Index(fields=["chain", "seq"], name="audit_pending", condition=models.Q(seq__isnull=True)),
        ]

    def __str__(self) -> str:
        return f"{self.chain}#{self.seq or '-'} {self.event_type}"


class ChainHead(models.Model):
    """The sequencer's state for one chain: size, last hash, the Merkle frontier, and the retention anchor."""

    chain = models.CharField(max_length=48, primary_key=True)
    organization = models.OneToOneField(Organization, on_delete=models.PROTECT, null=True, related_name="+")
    size = models.BigIntegerField(default=0)
    head_hash = models.CharField(max_length=64, blank=True)
    frontier = models.JSONField(default=dict)
    # After a retention purge: the last purged event's seq and hash, and the frontier up to it.
    anchor_seq = models.BigIntegerField(default=0)
    anchor_hash = models.CharField(max_length=64, blank=True)
    anchor_frontier = models.JSONField(default=dict)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.chain} (size {self.size})"


class SigningKey(models.Model):
    """Public half of an Ed25519 checkpoint key, kept so old checkpoints stay verifiable after rotation."""

    key_id = models.CharField(max_length=32, primary_key=True)
    public_key_pem = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.key_id


class Checkpoint(models.Model):
    """A signed tree head: the RFC 9162 Merkle root over the first `tree_size` events of a chain."""

    chain = models.CharField(max_length=48)
    tree_size = models.BigIntegerField()
    root_hash = models.CharField(max_length=64)
    timestamp = models.CharField(max_length=32)
    key = models.ForeignKey(SigningKey, on_delete=models.PROTECT)
    signature = models.CharField(max_length=128)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["chain", "tree_size"], name="checkpoint_unique_size")]
        ordering = ["chain", "tree_size"]

    def __str__(self) -> str:
        return f"{self.chain} @ {self.tree_size}"


class AuditPolicy(models.Model):
    """Retention and legal hold for one organisation's audit trail."""

    organization = models.OneToOneField(Organization, on_delete=models.CASCADE, related_name="audit_policy")
    log_retention_days = models.PositiveIntegerField(default=365)
    legal_hold = models.BooleanField(default=False)
    legal_hold_reason = models.CharField(max_length=300, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"audit policy of {self.organization_id}"


class PurgePermit(models.Model):
    """Present only inside a retention purge's transaction: the trigger lets DELETE through while it exists."""

    chain = models.CharField(max_length=48)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"purge permit for {self.chain}"
