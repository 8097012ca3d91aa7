"""Identity and tenancy: the custom user, organisations and memberships."""

from __future__ import annotations

from functools import partial
from typing import ClassVar

from django.contrib.auth.models import AbstractUser
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone

from core.ids import new_public_id

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


class TenantModel(models.Model):
    """A row that belongs to one client organisation and is addressed by a prefixed public id (`dep_…`,
    `baa_…`), never by its row number. Subclasses declare their own `organization` (on_delete, related_name)
    and `public_id` (prefix), name what they are in `NOUN` ("No such deployment.") and, when the policy checks
    them one by one, the `resource` the check is about. `accessctl.tenancy.tenant_get` fetches them."""

    NOUN: ClassVar[str] = "record"

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    public_id = models.CharField(max_length=48, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True

    @property
    def resource(self) -> str:
        """What the policy checks (`<kind>/<name or id>`); models checked per row define it."""
        raise NotImplementedError(f"{type(self).__name__} is authorised per organisation, not per row")


class User(AbstractUser):
    """A person who signs in to the console or owns API keys."""

    public_id = models.CharField(
        max_length=48, unique=True, default=partial(new_public_id, "user"), validators=[public_id_validator]
    )


class MemberStatus(models.TextChoices):
    INVITED = "invited"  # invited by e-mail, has not accepted yet: cannot sign in
    ACTIVE = "active"
    DEACTIVATED = "deactivated"  # offboarded: kept (never deleted) so the audit log's identities resolve


class Membership(models.Model):
    """A user's place in an organisation; a user acts inside one organisation at a time. Only an active
    membership acts; an invited one has never joined (`joined_at` is empty), a deactivated one has left."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    joined_at = models.DateTimeField(null=True, blank=True, default=timezone.now, help_text="empty: invited only")
    deactivated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organization", "user"], name="membership_unique_user_per_org")]
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.user} @ {self.organization}"

    @property
    def status(self) -> str:
        if self.is_active:
            return MemberStatus.ACTIVE
        return MemberStatus.INVITED if self.joined_at is None else MemberStatus.DEACTIVATED


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


class SecuritySettings(models.Model):
    """An organisation's access-control and transmission-security policy (the seed's SecuritySettings)."""

    organization = models.OneToOneField(Organization, on_delete=models.CASCADE, related_name="security_settings")
    require_mfa = models.BooleanField(default=False)
    session_timeout_minutes = models.PositiveIntegerField(default=30)
    session_max_hours = models.PositiveIntegerField(
        default=12, help_text="absolute session lifetime: a session ends this long after sign-in, active or not"
    )
    concurrent_sessions_limit = models.PositiveIntegerField(default=0, help_text="0 means no limit")
    ip_restrictions = models.JSONField(default=list, blank=True, help_text="CIDRs allowed; empty allows all")
    hsts_enabled = models.BooleanField(default=True)
    hipaa_mode = models.BooleanField(
        default=False, help_text="forces MFA, PHI detection and network isolation; inference needs an active BAA"
    )
    phi_detection = models.BooleanField(default=True, help_text="every prompt and answer passes the PHI engine")
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"security settings of {self.organization}"


class UserSession(models.Model):
    """A signed-in console session, so the concurrent-session limit can end the oldest one."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="console_sessions")
    session_key = models.CharField(max_length=40, unique=True)
    ip = models.GenericIPAddressField(null=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"session of {self.user} since {self.created_at:%Y-%m-%d %H:%M}"


class LoginFailure(models.Model):
    """One failed password sign-in, kept for the per-account lockout's window (accessctl/lockout.py)."""

    username = models.CharField(max_length=150, help_text="as the lockout counts it: trimmed, lower-cased")
    ip = models.GenericIPAddressField(null=True)
    attempted_at = models.DateTimeField(db_index=True)

    class Meta:
        indexes = [models.Index(fields=["username", "attempted_at"], name="accessctl_loginfail_user_at")]

    def __str__(self) -> str:
        return f"failed sign-in as {self.username} at {self.attempted_at:%Y-%m-%d %H:%M}"


class ApiKey(TenantModel):
    """A credential for SDKs: `psk_<prefix>_<secret>`; only the secret's SHA-256 is stored."""

    NOUN = "API key"

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="api_keys")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_keys")
    public_id = models.CharField(max_length=48, unique=True, default=partial(new_public_id, "key"))
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, unique=True)
    secret_hash = models.CharField(max_length=64)
    role = models.ForeignKey(
        Role, on_delete=models.CASCADE, null=True, blank=True, related_name="+", help_text="narrow the key to one role"
    )
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix})"


class InvitationStatus(models.TextChoices):
    PENDING = "pending"
    ACCEPTED = "accepted"
    REVOKED = "revoked"


class Invitation(TenantModel):
    """An e-mailed, signed, single-use link to join the organisation (accessctl/invitations.py). The link
    carries a random nonce whose SHA-256 is kept here: resending replaces it, so only the latest link works."""

    NOUN = "invitation"

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="invitations")
    public_id = models.CharField(max_length=48, unique=True, default=partial(new_public_id, "inv"))
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    invited_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    status = models.CharField(max_length=10, choices=InvitationStatus.choices, default=InvitationStatus.PENDING)
    nonce_hash = models.CharField(max_length=64)
    sent_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    send_count = models.PositiveSmallIntegerField(default=1)
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["organization", "status"], name="accessctl_invite_org_status")]

    def __str__(self) -> str:
        return f"invitation {self.public_id} ({self.status})"

    @property
    def is_expired(self) -> bool:
        return self.status == InvitationStatus.PENDING and self.expires_at <= timezone.now()

    @property
    def display_status(self) -> str:
        return "expired" if self.is_expired else str(self.status)
