"""Console forms for break-glass access: the request, an approver's decision, and the post-use review."""

from __future__ import annotations

from django import forms

from accessctl.policy import PERMISSIONS
from emergency.services import REQUESTABLE

# A service error's field → the form field that shows it (None: a form-wide error).
FIELD_FOR_ERROR: dict[str, str | None] = {
    "emergency_access.enabled": None,
    "approvals": None,
    "status": None,
    "review": None,
}


class RequestForm(forms.Form):
    resource = forms.CharField(
        max_length=200,
        label="Resource",
        help_text="<kind>/<name>, globs allowed, e.g. deployment/icu-assistant or deployment/icu-*",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    permissions = forms.MultipleChoiceField(
        choices=[(name, f"{name} — {PERMISSIONS[name]}") for name in REQUESTABLE],
        widget=forms.CheckboxSelectMultiple,
        label="Permissions",
        error_messages={"required": "Choose at least one permission."},
    )
    reason = forms.CharField(
        max_length=2000,
        label="Reason",
        help_text="Stored encrypted; shown only to you and the approvers, never in the audit log or e-mail.",
        widget=forms.Textarea(attrs={"rows": 3, "autocomplete": "off"}),
        error_messages={"required": "Say why you need emergency access."},
    )


class DecisionForm(forms.Form):
    """One per pending request on a page, so it is built with the request's id as prefix."""

    decision = forms.ChoiceField(choices=[("approve", "Approve"), ("deny", "Deny")], widget=forms.HiddenInput)
    comment = forms.CharField(
        max_length=1000,
        label="Comment",
        widget=forms.Textarea(attrs={"rows": 2, "autocomplete": "off"}),
        error_messages={"required": "Every decision needs a comment."},
    )


class ReviewForm(forms.Form):
    notes = forms.CharField(
        max_length=4000,
        label="Review notes",
        help_text="What was done under the grant, and whether it was justified. Stored encrypted.",
        widget=forms.Textarea(attrs={"rows": 4, "autocomplete": "off"}),
        error_messages={"required": "Write what the review found."},
    )
