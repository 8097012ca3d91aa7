"""Console forms for the audit log: filters and the retention policy."""

from __future__ import annotations

from typing import Any

from django import forms

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
    event_type = forms.RegexField(r"^[a-z0-9_.,\s]*$", required=False, max_length=400, help_text="comma-separated")
    user_id = forms.RegexField(r"^user_[A-Za-z0-9]{3,40}$", required=False, label="User id")
    deployment_id = forms.RegexField(r"^dep_[A-Za-z0-9]{3,60}$", required=False, label="Deployment id")
    outcome = forms.ChoiceField(required=False, choices=[("", "any"), *Outcome.choices])

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start_time"), data.get("end_time")
        if start and end and start > end:
            self.add_error("end_time", "The end is before the start.")
        return data

    def to_filters(self) -> AuditFilters:
        data = self.cleaned_data
        types = [part.strip() for part in (data.get("event_type") or "").split(",") if part.strip()]
        return AuditFilters(
            start_time=data.get("start_time"),
            end_time=data.get("end_time"),
            deployment_id=data.get("deployment_id") or None,
            event_types=types,
            user_id=data.get("user_id") or None,
            outcome=data.get("outcome") or None,
        )


class AuditPolicyForm(forms.Form):
    log_retention_days = forms.IntegerField(min_value=MIN_RETENTION_DAYS, max_value=MAX_RETENTION_DAYS)
    legal_hold = forms.BooleanField(required=False)
    legal_hold_reason = forms.CharField(required=False, max_length=300)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("legal_hold") and not (data.get("legal_hold_reason") or "").strip():
            self.add_error("legal_hold_reason", "Say why the log is on hold (case or matter reference).")
        return data
