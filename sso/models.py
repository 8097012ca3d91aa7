"""An organisation's OpenID Connect configuration and the IdP subjects bound to its members."""

from __future__ import annotations

from django.db import models

from accessctl.models import Organization, User
from encryption.fields import EncryptedTextField


class OidcConfiguration(models.Model):
    """One identity provider per organisation. The client secret is sealed with the organisation's key (bound
    to this table, column and organisation), never shown again after it is set."""

    organization = models.OneToOneField(Organization, on_delete=models.CASCADE, related_name="oidc_configuration")
    enabled = models.BooleanField(default=False)
    issuer = models.URLField(
        max_length=300, blank=True, help_text="discovery: <issuer>/.well-known/openid-configuration"
    )
    client_id = models.CharField(max_length=200, blank=True)
    client_secret = EncryptedTextField()
    allowed_domains = models.JSONField(default=list, blank=True, help_text="e-mail domains that may sign in")
    role_claim = models.CharField(max_length=100, default="groups", help_text="the ID token claim holding groups")
    role_mapping = models.JSONField(
        default=list, blank=True, help_text='[{"value": <claim value>, "role": <role name>}, ...]'
    )
    jit_provisioning = models.BooleanField(default=False, help_text="create unknown users of an allowed domain")
    require_sso = models.BooleanField(default=False, help_text="members may not sign in with a password")
    break_glass_user = models.ForeignKey(
        User,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="the one administrator who may still sign in with a password when SSO is required",
    )
    updated_at = models.DateTimeField(auto_now=True)

    encryption_row_key = "organization_id"  # one row per organisation: the sealed secret is bound to it

    def __str__(self) -> str:
        return f"OIDC configuration of {self.organization}"

    @property
    def has_secret(self) -> bool:
        return self.__dict__.get("client_secret") is not None


class SsoIdentity(models.Model):
    """An IdP subject (`iss` + `sub`) bound to a member at their first single sign-on; later sign-ins find the
    member by it, so a changed e-mail address at the IdP does not make a new account."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="sso_identities")
    issuer = models.URLField(max_length=300)
    subject = models.CharField(max_length=255)
    created_at = models.DateTimeField(auto_now_add=True)
    last_login_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "issuer", "subject"], name="sso_identity_unique_subject")
        ]

    def __str__(self) -> str:
        return f"{self.user} as {self.subject} at {self.issuer}"
