"""Console forms for incidents: open, update, note, four-factor assessment, notification, notice, thresholds."""

from __future__ import annotations

from typing import Any, cast

from django import forms

from accessctl.actor import Actor
from accessctl.models import Organization, User
from accessctl.policy import is_allowed
from incidents.assessment import FACTORS, IDENTIFIER_TYPES, REIDENTIFICATION, Answers
from incidents.models import NoticeKind, NotificationKind, Severity
from incidents.services import PERMISSION, THRESHOLD_LIMITS


class IncidentForm(forms.Form):
    title = forms.CharField(max_length=200, help_text="What happened, in words without PHI")
    severity = forms.ChoiceField(choices=Severity.choices, initial=Severity.MEDIUM)


def owner_choices(organization: Organization) -> list[tuple[str, str]]:
    """Members who may manage incidents (the only ones an incident can be given to)."""

    members = User.objects.filter(memberships__organization=organization, memberships__is_active=True)
    resource = f"organization/{organization.slug}"
    allowed = [u for u in members.order_by("username") if is_allowed(Actor(organization, u), PERMISSION, resource)]
    return [("", "— nobody —"), *((u.public_id, u.username) for u in allowed)]


class OwnerForm(forms.Form):
    owner_id = forms.ChoiceField(label="Owner", required=False)
    severity = forms.ChoiceField(choices=Severity.choices)

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["owner_id"]).choices = owner_choices(organization)


class NoteForm(forms.Form):
    text = forms.CharField(
        label="Note",
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Stored encrypted; it may hold PHI, which never reaches the audit log.",
    )


def _parse_counts(text: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for part in text.replace("\n", ",").split(","):
        if not part.strip():
            continue
        code, sep, number = part.partition("=")
        if not sep or not number.strip().isdigit():
            raise forms.ValidationError("Write STATE=count pairs separated by commas, e.g. CA=520, NY=12.")
        counts[code.strip().upper()] = counts.get(code.strip().upper(), 0) + int(number.strip())
    return counts


class AssessmentForm(forms.Form):
    nature_extent = forms.ChoiceField(
        label="1. Nature and extent of the PHI", widget=forms.RadioSelect, choices=FACTORS["nature_extent"].choices
    )
    identifier_types = forms.MultipleChoiceField(
        label="Identifier types involved",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        choices=list(IDENTIFIER_TYPES.items()),
    )
    reidentification = forms.ChoiceField(
        label="Likelihood of re-identification",
        widget=forms.RadioSelect,
        choices=[(v, label) for v, label, _ in REIDENTIFICATION],
        initial="low",
    )
    nature_extent_notes = forms.CharField(
        label="Notes on factor 1", required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 2})
    )
    recipient = forms.ChoiceField(
        label="2. The unauthorised person", widget=forms.RadioSelect, choices=FACTORS["recipient"].choices
    )
    recipient_notes = forms.CharField(
        label="Notes on factor 2", required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 2})
    )
    acquired = forms.ChoiceField(
        label="3. Was the PHI acquired or viewed?", widget=forms.RadioSelect, choices=FACTORS["acquired"].choices
    )
    acquired_notes = forms.CharField(
        label="Notes on factor 3", required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 2})
    )
    mitigation = forms.ChoiceField(
        label="4. Extent of mitigation", widget=forms.RadioSelect, choices=FACTORS["mitigation"].choices
    )
    mitigation_notes = forms.CharField(
        label="Notes on factor 4", required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 2})
    )
    affected_individuals = forms.IntegerField(label="Individuals affected", min_value=0, initial=0)
    affected_by_jurisdiction = forms.CharField(
        label="Affected residents per state or territory",
        required=False,
        max_length=2000,
        help_text="STATE=count pairs, e.g. CA=520, NY=12",
        widget=forms.TextInput(),
    )

    def clean_affected_by_jurisdiction(self) -> dict[str, int]:
        return _parse_counts(self.cleaned_data.get("affected_by_jurisdiction") or "")

    def answers(self) -> Answers:
        data = self.cleaned_data
        return Answers(
            nature_extent=data["nature_extent"],
            recipient=data["recipient"],
            acquired=data["acquired"],
            mitigation=data["mitigation"],
            identifier_types=tuple(data["identifier_types"]),
            reidentification=data["reidentification"],
        )

    def notes(self) -> dict[str, str]:
        return {key: self.cleaned_data[f"{key}_notes"] for key in FACTORS}


def assessment_initial(assessment: Any) -> dict[str, Any]:
    if assessment is None:
        return {}
    initial = {key: getattr(assessment, key) for key in FACTORS}
    initial.update({f"{key}_notes": getattr(assessment, f"{key}_notes") or "" for key in FACTORS})
    initial.update(
        identifier_types=assessment.identifier_types,
        reidentification=assessment.reidentification,
        affected_individuals=assessment.affected_individuals,
        affected_by_jurisdiction=", ".join(f"{k}={v}" for k, v in sorted(assessment.affected_by_jurisdiction.items())),
    )
    return initial


class NotificationForm(forms.Form):
    kind = forms.ChoiceField(choices=NotificationKind.choices, widget=forms.HiddenInput)
    jurisdiction = forms.CharField(max_length=2, required=False, widget=forms.HiddenInput)
    notified_on = forms.DateField(label="Notified on", widget=forms.DateInput(attrs={"type": "date"}))


class NoticeForm(forms.Form):
    kind = forms.ChoiceField(choices=NoticeKind.choices, widget=forms.HiddenInput)
    jurisdiction = forms.CharField(max_length=2, required=False, widget=forms.HiddenInput)


def _threshold(name: str, label: str) -> forms.IntegerField:
    low, high = THRESHOLD_LIMITS[name]
    return forms.IntegerField(label=label, min_value=low, max_value=high)


class ThresholdsForm(forms.Form):
    bulk_phi_count = _threshold("bulk_phi_count", "Bulk PHI access: events by one actor")
    bulk_phi_window_minutes = _threshold("bulk_phi_window_minutes", "Bulk PHI access: window (minutes)")
    denial_count = _threshold("denial_count", "Repeated denials: denied requests by one actor or address")
    denial_window_minutes = _threshold("denial_window_minutes", "Repeated denials: window (minutes)")
    login_failure_count = _threshold("login_failure_count", "Failed sign-ins before a success")
    login_window_minutes = _threshold("login_window_minutes", "Failed sign-ins: window (minutes)")
