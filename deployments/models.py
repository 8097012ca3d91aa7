"""The model catalog and deployments with their state machine."""

from __future__ import annotations

from functools import partial

from django.core.validators import RegexValidator
from django.db import models

from accessctl.models import Organization, TenantModel, User
from core.ids import new_public_id
from encryption.fields import EncryptedJSONField, EncryptedTextField


class Provider(models.TextChoices):
    LOCAL = "local", "Local llama.cpp runtime"
    AWS = "aws", "AWS GPU instance in the client's VPC"
    EXTERNAL = "external", "External OpenAI-compatible endpoint"


class CatalogModel(models.Model):
    """A model the service knows how to run, and where each provider gets its artifact."""

    name = models.CharField(max_length=200, unique=True)
    licence = models.CharField(max_length=100)
    context_length = models.PositiveIntegerField()
    providers = models.JSONField(default=dict, help_text="provider -> artifact location")
    description = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class State(models.TextChoices):
    PENDING = "pending"
    PROVISIONING = "provisioning"
    READY = "ready"
    UPDATING = "updating"
    STOPPING = "stopping"
    STOPPED = "stopped"
    FAILED = "failed"


TRANSITIONS: dict[str, set[str]] = {
    State.PENDING: {State.PROVISIONING, State.STOPPING, State.FAILED},
    State.PROVISIONING: {State.READY, State.FAILED, State.STOPPING},
    State.READY: {State.UPDATING, State.STOPPING, State.FAILED},
    State.UPDATING: {State.READY, State.FAILED, State.STOPPING},
    State.STOPPING: {State.STOPPED, State.FAILED},
    State.STOPPED: set(),
    State.FAILED: {State.STOPPING, State.PROVISIONING},
}

deployment_name_validator = RegexValidator(
    r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$", "Use 1-63 lower-case letters, digits and inner hyphens."
)


class Deployment(TenantModel):
    NOUN = "deployment"

    encryption_row_key = "public_id"

    public_id = models.CharField(max_length=48, unique=True, default=partial(new_public_id, "dep", length=14))
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="deployments")
    name = models.CharField(max_length=63, validators=[deployment_name_validator])
    model = models.ForeignKey(CatalogModel, on_delete=models.PROTECT, related_name="deployments")
    provider = models.CharField(max_length=16, choices=Provider.choices)
    compute_type = models.CharField(max_length=8, choices=[("cpu", "CPU"), ("gpu", "GPU")])
    instance_type = models.CharField(max_length=40, blank=True)
    security_settings = models.JSONField(default=dict)
    vpc_config = models.JSONField(default=dict)
    tags = models.JSONField(default=dict)
    state = models.CharField(max_length=16, choices=State.choices, default=State.PENDING)
    progress_percent = models.PositiveSmallIntegerField(default=0)
    progress_stage = models.CharField(max_length=100, blank=True)
    failure_reason = models.CharField(max_length=300, blank=True)
    provider_state = models.JSONField(default=dict, help_text="what the provider created (ids), no secrets")
    endpoint_url = models.CharField(max_length=300, blank=True)
    endpoint_secret = EncryptedTextField(help_text="the runtime's API key, sealed for the organisation")
    created_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "name"],
                condition=~models.Q(state="stopped"),
                name="deployment_unique_live_name_per_org",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.public_id})"

    @property
    def resource(self) -> str:
        return f"deployment/{self.name}"


class ReidentificationMap(TenantModel):
    """The surrogate → original pairs of one de-identified call, sealed for the organisation, kept only until
    `expires_at` (PAITIENT_REIDENTIFY_TTL_SECONDS) so that a holder of `phi:reidentify` can have the answer (or a
    later answer of the same conversation) with the originals back. The purge task deletes expired rows."""

    NOUN = "re-identification map"
    encryption_row_key = "public_id"

    public_id = models.CharField(max_length=48, unique=True, default=partial(new_public_id, "rim", length=14))
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    deployment = models.ForeignKey(Deployment, on_delete=models.CASCADE, related_name="+")
    inference_id = models.CharField(max_length=40, unique=True)
    conversation_id = models.CharField(max_length=100, blank=True, db_index=True)
    pairs = EncryptedJSONField(help_text="[[surrogate, original], ...], sealed for the organisation")
    expires_at = models.DateTimeField(db_index=True)
