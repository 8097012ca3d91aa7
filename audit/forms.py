"""Console forms for the audit log: filters and the retention policy."""

from __future__ import annotations

from typing import Any

from django import forms

from accessctl.models import Organization
from audit.investigate import NotFoundInOrganization, resolve_deployment, resolve_user
from audit.models import Outcome
from audit.retention import MAX_RETENTION_DAYS, MIN_RETENTION_DAYS
from audit.selectors import AuditFilters


class AuditFilterForm(forms.Form):
    start_time = forms.DateTimeField(
        required=False, label="From (UTC)", widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    end_time = forms.DateTimeField(
        required=False, label="To (UTC)", widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    event_type = forms.RegexField(
        r"^[a-z0-9_.,*\s]*$",
        required=False,
        max_length=400,
        label="Event type",
        help_text="auth.* or auth.login finds every sign-in event; separate several with commas",
        error_messages={"invalid": "Event types are lower-case words with dots, a trailing * for a family."},
        widget=forms.TextInput(attrs={"list": "event-types", "autocomplete": "off"}),
    )
    user = forms.CharField(required=False, max_length=254, label="User", help_text="name, e-mail or id")
    deployment = forms.CharField(required=False, max_length=100, label="Deployment", help_text="name or id")
    outcome = forms.ChoiceField(required=False, choices=[("", "any"), *Outcome.choices])

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.organization = organization

    def clean_user(self) -> str | None:
        typed = (self.cleaned_data.get("user") or "").strip()
        if not typed:
            return None
        try:
            return resolve_user(self.organization, typed)
        except NotFoundInOrganization as exc:
            raise forms.ValidationError(str(exc)) from None

    def clean_deployment(self) -> tuple[str | None, str | None] | None:
        typed = (self.cleaned_data.get("deployment") or "").strip()
        if not typed:
            return None
        try:
            return resolve_deployment(self.organization, typed)
        except NotFoundInOrganization as exc:
            raise forms.ValidationError(str(exc)) from None

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start_time"), data.get("end_time")
        if start and end and start > end:
            self.add_error("end_time", "The end is before the start.")
        return data

    def to_filters(self) -> AuditFilters:
        """The filters; a form with errors matches nothing (never the unfiltered log)."""
        if not self.is_bound:
            return AuditFilters()
        if not self.is_valid():
            return AuditFilters(none=True)
        data = self.cleaned_data
        patterns = [part.strip() for part in (data.get("event_type") or "").split(",") if part.strip()]
        deployment_id, resource = data.get("deployment") or (None, None)
        return AuditFilters(
            start_time=data.get("start_time"),
            end_time=data.get("end_time"),
            deployment_id=deployment_id,
            resource=resource,
            event_patterns=patterns,
            user_id=data.get("user"),
            outcome=data.get("outcome") or None,
        )

    def described(self) -> dict[str, Any]:
        """The applied filters as the audit event of an export records them (ids and types, no free text)."""
        if not self.is_bound or not self.is_valid():
            return {}
        data = self.cleaned_data
        deployment_id, resource = data.get("deployment") or (None, None)
        found = {
            "start_time": data["start_time"].isoformat() if data.get("start_time") else None,
            "end_time": data["end_time"].isoformat() if data.get("end_time") else None,
            "event_type": data.get("event_type") or None,
            "user_id": data.get("user"),
            "deployment": deployment_id or resource,
            "outcome": data.get("outcome") or None,
        }
        return {key: value for key, value in found.items() if value}


class AuditPolicyForm(forms.Form):
    log_retention_days = forms.IntegerField(min_value=MIN_RETENTION_DAYS, max_value=MAX_RETENTION_DAYS)
    legal_hold = forms.BooleanField(required=False)
    legal_hold_reason = forms.CharField(required=False, max_length=300)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("legal_hold") and not (data.get("legal_hold_reason") or "").strip():
            self.add_error("legal_hold_reason", "Say why the log is on hold (case or matter reference).")
        return data
