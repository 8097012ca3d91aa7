"""Console forms for access reviews; each reports every problem at once (field by field)."""

from __future__ import annotations

from typing import Any

from django import forms

from reviews.models import Cadence, Decision
from reviews.services import MAX_REVIEW_DAYS


class CampaignStartForm(forms.Form):
    name = forms.CharField(max_length=120, required=False, help_text="empty: “Access review of <today>”")


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[(Decision.KEEP, "Keep"), (Decision.REVOKE, "Revoke")], widget=forms.RadioSelect, label="Decision"
    )
    comment = forms.CharField(
        max_length=1000, required=False, label="Comment", help_text="required when revoking: why", strip=True
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("decision") == Decision.REVOKE and len(cleaned.get("comment") or "") < 3:
            self.add_error("comment", "Say why the access is revoked.")
        return cleaned


class SignOffForm(forms.Form):
    attest = forms.BooleanField(
        label="I have reviewed every item and the decisions are final",
        error_messages={"required": "Confirm that you have reviewed every item."},
    )
    note = forms.CharField(max_length=1000, required=False, widget=forms.Textarea(attrs={"rows": 3}), label="Note")


class ScheduleForm(forms.Form):
    cadence_days = forms.TypedChoiceField(choices=Cadence.choices, coerce=int, label="How often")
    review_days = forms.IntegerField(
        min_value=1, max_value=MAX_REVIEW_DAYS, label="Days to finish a review", help_text="the due date after start"
    )
    auto_start = forms.BooleanField(required=False, label="Start reviews automatically when due")
    reviewer_ids = forms.MultipleChoiceField(
        required=False,
        label="Reviewers",
        widget=forms.CheckboxSelectMultiple,
        help_text="none ticked: anyone holding access:review",
    )

    def __init__(self, *args: Any, reviewers: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["reviewer_ids"]
        assert isinstance(field, forms.MultipleChoiceField)  # noqa: S101 - declared just above
        field.choices = reviewers
