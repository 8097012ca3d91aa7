"""Console forms for access control."""

from __future__ import annotations

from typing import Any

from django import forms

from accessctl.policy import PERMISSIONS
from accessctl.security import MAX_SESSION_HOURS, MAX_SESSION_TIMEOUT_MINUTES


class CodeForm(forms.Form):
    code = forms.RegexField(
        r"^\s*\d[\d ]{5,9}\s*$",
        label="Code",
        error_messages={"invalid": "Enter the 6-digit code from your app, or an 8-digit backup code."},
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


class SecuritySettingsForm(forms.Form):
    hipaa_mode = forms.BooleanField(
        required=False,
        label="HIPAA mode",
        help_text="Forces MFA, PHI detection and network isolation; inference needs an active BAA.",
    )
    phi_detection = forms.BooleanField(required=False, label="PHI detection on every prompt and answer")
    require_mfa = forms.BooleanField(required=False, label="Require MFA for every user")
    session_timeout_minutes = forms.IntegerField(
        min_value=1, max_value=MAX_SESSION_TIMEOUT_MINUTES, label="Idle session timeout (minutes)"
    )
    session_max_hours = forms.IntegerField(
        min_value=1,
        max_value=MAX_SESSION_HOURS,
        label="Session lifetime (hours)",
        help_text="A session ends this long after sign-in, however active it is.",
    )
    concurrent_sessions_limit = forms.IntegerField(
        min_value=0, max_value=100, label="Concurrent sessions (0 = no limit)"
    )
    ip_restrictions = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 3}), label="Allowed networks (one CIDR per line)"
    )
    hsts_enabled = forms.BooleanField(required=False, label="Send HSTS")

    def networks(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data["ip_restrictions"].splitlines() if line.strip()]


# The security-settings service names fields as the REST document does (`access_control.session_max_hours`,
# `compliance.hipaa`); the console form names them flat.
SETTINGS_ERROR_FIELDS: dict[str, str | None] = {"compliance.hipaa": "hipaa_mode"}
SETTINGS_ERROR_FIELDS.update(
    (f"{section}.{name}", name)
    for section in ("access_control", "compliance")
    for name in SecuritySettingsForm.base_fields
)


class RoleForm(forms.Form):
    name = forms.RegexField(r"^[a-z0-9][a-z0-9-]{1,62}$", help_text="lower-case letters, digits and -")
    description = forms.CharField(required=False, max_length=300)
    permissions = forms.MultipleChoiceField(
        choices=[(name, f"{name} — {text}") for name, text in PERMISSIONS.items()], widget=forms.CheckboxSelectMultiple
    )
    resource_pattern = forms.CharField(max_length=200, initial="*", help_text="glob over <kind>/<name>")


class AssignForm(forms.Form):
    user_id = forms.ChoiceField(label="User")
    role_name = forms.ChoiceField(label="Role")

    def __init__(self, *args: Any, users: list[tuple[str, str]], roles: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        user_field = self.fields["user_id"]
        role_field = self.fields["role_name"]
        assert isinstance(user_field, forms.ChoiceField) and isinstance(role_field, forms.ChoiceField)  # noqa: S101
        user_field.choices = users
        role_field.choices = [(name, name) for name in roles]


class ApiKeyForm(forms.Form):
    name = forms.CharField(max_length=100)
    expires_at = forms.DateTimeField(
        required=False, label="Expires (UTC)", widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )


class DirectoryFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=100, label="Search")
    status = forms.ChoiceField(
        required=False,
        choices=[("", "Any status"), ("invited", "Invited"), ("active", "Active"), ("deactivated", "Deactivated")],
    )
    role = forms.ChoiceField(required=False, label="Role")

    def __init__(self, *args: Any, roles: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        role_field = self.fields["role"]
        assert isinstance(role_field, forms.ChoiceField)  # noqa: S101
        role_field.choices = [("", "Any role"), *((name, name) for name in roles)]


class InviteForm(forms.Form):
    email = forms.EmailField(max_length=150, label="E-mail address")
    first_name = forms.CharField(max_length=150, required=False)
    last_name = forms.CharField(max_length=150, required=False)
    roles = forms.MultipleChoiceField(required=False, widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args: Any, roles: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        role_field = self.fields["roles"]
        assert isinstance(role_field, forms.MultipleChoiceField)  # noqa: S101
        role_field.choices = [(name, name) for name in roles]


class NewPasswordForm(forms.Form):
    """Choosing a password when accepting an invitation; the policy check is the service's."""

    password = forms.CharField(
        label="New password", strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )
    password_again = forms.CharField(
        label="Repeat the password", strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("password") and data.get("password_again") and data["password"] != data["password_again"]:
            self.add_error("password_again", "The two passwords differ.")
        return data


class ConfirmPasswordForm(forms.Form):
    """Re-authentication before removing an MFA device."""

    current_password = forms.CharField(
        label="Current password", strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )
