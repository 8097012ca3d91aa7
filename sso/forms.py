"""Console forms of single sign-on: starting a sign-in, and the organisation's OIDC configuration."""

from __future__ import annotations

from typing import Any

from django import forms

from sso.configuration import RoleMapping


class SsoStartForm(forms.Form):
    identifier = forms.CharField(
        max_length=254,
        label="Work e-mail or organisation",
        help_text="Your e-mail address, or your organisation's short name (its slug).",
        widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True}),
    )


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


class OidcConfigurationForm(forms.Form):
    enabled = forms.BooleanField(required=False, label="Single sign-on enabled")
    issuer = forms.CharField(
        required=False,
        max_length=300,
        label="Issuer URL",
        help_text="The IdP's issuer; its /.well-known/openid-configuration is read at each sign-in.",
    )
    client_id = forms.CharField(required=False, max_length=200, label="Client ID")
    client_secret = forms.CharField(
        required=False,
        max_length=500,
        strip=False,
        label="Client secret",
        help_text="Stored encrypted and never shown again; leave empty to keep the current one.",
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}, render_value=False),
    )
    allowed_domains = forms.CharField(
        required=False,
        label="Allowed e-mail domains (one per line)",
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    role_claim = forms.CharField(max_length=100, initial="groups", label="Role claim")
    role_mapping = forms.CharField(
        required=False,
        label="Claim value → role (one per line: value = role)",
        help_text="Mapped roles are granted and removed at each sign-in to match the IdP's groups.",
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    jit_provisioning = forms.BooleanField(
        required=False, label="Just-in-time provisioning (create unknown users of an allowed domain)"
    )
    require_sso = forms.BooleanField(required=False, label="Require SSO (no password sign-in for members)")
    break_glass_user_id = forms.ChoiceField(
        required=False,
        label="Break-glass administrator",
        help_text="The one org-admin who may still sign in with a password (and MFA) when SSO is required.",
    )

    def __init__(self, *args: Any, admins: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["break_glass_user_id"]
        assert isinstance(field, forms.ChoiceField)  # noqa: S101
        field.choices = [("", "— none —"), *admins]

    def clean_allowed_domains(self) -> list[str]:
        return _lines(self.cleaned_data["allowed_domains"])

    def clean_role_mapping(self) -> list[RoleMapping]:
        mapping: list[RoleMapping] = []
        for number, line in enumerate(_lines(self.cleaned_data["role_mapping"]), start=1):
            value, sep, role = line.rpartition("=")
            if not sep or not value.strip() or not role.strip():
                raise forms.ValidationError(f"Line {number}: write it as <claim value> = <role name>.")
            mapping.append(RoleMapping(value=value.strip(), role=role.strip()))
        return mapping
