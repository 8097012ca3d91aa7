"""Identity and tenancy: the custom user, organisations and memberships."""

from __future__ import annotations

from functools import partial

from django.contrib.auth.models import AbstractUser
from django.core.validators import RegexValidator
from django.db import models

from portal.ids import new_public_id

public_id_validator = RegexValidator(r"^[a-z]+_[A-Za-z0-9]{3,40}$", "Use <prefix>_ followed by 3-40 letters or digits.")


class Organization(models.Model):
    """A client tenant: every tenant row carries a foreign key to one of these."""

    public_id = models.CharField(
        max_length=48, unique=True, default=partial(new_public_id, "org"), validators=[public_id_validator]
    )
    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=60, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """A person who signs in to the console or owns API keys."""

    public_id = models.CharField(
        max_length=48, unique=True, default=partial(new_public_id, "user"), validators=[public_id_validator]
    )


class Membership(models.Model):
    """A user's place in an organisation; a user acts inside one organisation at a time."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organization", "user"], name="membership_unique_user_per_org")]
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.user} @ {self.organization}"


class Role(models.Model):
    """A named set of permissions that applies to resources matching `resource_pattern` (a glob)."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="roles")
    name = models.CharField(
        max_length=64, validators=[RegexValidator(r"^[a-z0-9][a-z0-9-]{1,62}$", "Use lower-case letters, digits, -.")]
    )
    description = models.CharField(max_length=300, blank=True)
    permissions = models.JSONField(default=list)
    resource_pattern = models.CharField(max_length=200, default="*")
    builtin = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organization", "name"], name="role_unique_name_per_org")]
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class RoleAssignment(models.Model):
    """A user holds a role inside the role's organisation."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="role_assignments")
    role = models.ForeignKey(Role, on_delete=models.CASCADE, related_name="assignments")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="role_assignments")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["role", "user"], name="role_assignment_unique")]
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.user} as {self.role}"
