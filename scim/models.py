"""SCIM bearer tokens (one identity provider connection each) and the IdP's external ids of members."""

from __future__ import annotations

from functools import partial

from django.db import models

from accessctl.models import Organization, Role, TenantModel, User
from core.ids import new_public_id


class ScimToken(TenantModel):
    """`Authorization: Bearer scim_<prefix>_<secret>` for one identity provider; only the secret's SHA-256 is
    kept. The token acts within the permissions of the member who issued it (deny by default: it can hand out
    only the roles they could), and stops when they are offboarded or it is revoked."""

    NOUN = "SCIM token"

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="scim_tokens")
    public_id = models.CharField(max_length=48, unique=True, default=partial(new_public_id, "scim"))
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, unique=True)
    secret_hash = models.CharField(max_length=64)
    issued_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"scim token {self.name}"


class ScimIdentity(models.Model):
    """What the identity provider calls a member (`externalId`), and whether it deleted them: a SCIM DELETE
    deactivates the member and hides them from SCIM (404 afterwards, as RFC 7644 §3.6 asks) but erases
    nothing, so the audit log's identities stay resolvable."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="scim_identities")
    external_id = models.CharField(max_length=200, blank=True)
    email_primary = models.BooleanField(default=True, help_text="as the IdP flagged the one address it sent")
    deleted_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organization", "user"], name="scim_identity_unique_user")]

    def __str__(self) -> str:
        return f"SCIM identity of {self.user}"


class ScimGroup(models.Model):
    """What the identity provider calls a role's group (`externalId`)."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    role = models.OneToOneField(Role, on_delete=models.CASCADE, related_name="scim_group")
    external_id = models.CharField(max_length=200, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"SCIM group of {self.role}"
