"""Console forms: checklist evidence, and the BAA create form and lifecycle actions."""

from __future__ import annotations

from typing import Any

from django import forms

from accessctl.models import Membership
from compliance.baa import BaaSpec
from compliance.checklist import ChecklistItem
from compliance.evidence import EvidenceSpec
from compliance.models import EvidenceKind


class DateInput(forms.DateInput):
    input_type = "date"


class EvidenceForm(forms.Form):
    kind = forms.ChoiceField(label="Kind")
    title = forms.CharField(max_length=200, label="Title")
    file = forms.FileField(required=False, label="File", help_text="PDF, PNG, JPEG, DOCX or text, up to 20 MB")
    link = forms.CharField(required=False, max_length=500, label="…or an https link")
    subject_user_id = forms.ChoiceField(required=False, label="Member trained")
    effective_date = forms.DateField(
        required=False, widget=DateInput, label="Effective (reviewed) on", help_text="today when empty"
    )
    expiry_date = forms.DateField(
        required=False, widget=DateInput, label="Expires on", help_text="a year after the effective date when empty"
    )

    def __init__(self, *args: Any, item: ChecklistItem, organization_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.item = item
        labels = dict(EvidenceKind.choices)
        kind_field = self.fields["kind"]
        assert isinstance(kind_field, forms.ChoiceField)  # noqa: S101 - narrows the type
        kind_field.choices = [(kind, labels[kind]) for kind in item.evidence_kinds]
        if EvidenceKind.TRAINING in item.evidence_kinds:
            members = Membership.objects.filter(organization_id=organization_id, is_active=True, user__is_active=True)
            subject_field = self.fields["subject_user_id"]
            assert isinstance(subject_field, forms.ChoiceField)  # noqa: S101
            subject_field.choices = [
                ("", "—"),
                *(
                    (m.user.public_id, m.user.username)
                    for m in members.select_related("user").order_by("user__username")
                ),
            ]
        else:
            del self.fields["subject_user_id"]

    def spec(self) -> EvidenceSpec:
        data = self.cleaned_data
        upload = data.get("file")
        return EvidenceSpec(
            item=self.item.key,
            kind=data["kind"],
            title=data["title"],
            content=upload.read() if upload else None,
            file_name=upload.name if upload else "",
            link=data.get("link", "").strip(),
            subject_user_id=data.get("subject_user_id") or "",
            effective_date=data.get("effective_date"),
            expiry_date=data.get("expiry_date"),
        )


class BaaForm(forms.Form):
    counterparty = forms.CharField(
        max_length=200, label="Counterparty", help_text="the covered entity or business associate"
    )
    business_associate = forms.CharField(
        max_length=253, required=False, initial="paitient", label="Business associate",
        help_text="who receives PHI under it: aws, paitient (PaiTIENT-hosted runtime) or an external endpoint's "
        "host (api.vendor.example). The local runtime on your own machine needs no BAA.",
    )  # fmt: skip
    counterparty_contact = forms.EmailField(required=False, label="Contact e-mail")
    scope = forms.CharField(required=False, max_length=500, label="Scope")
    effective_date = forms.DateField(widget=DateInput, label="Effective on")
    expiry_date = forms.DateField(widget=DateInput, label="Expires on")
    reminder_days = forms.IntegerField(initial=30, min_value=1, max_value=365, label="Reminder (days before expiry)")

    def spec(self) -> BaaSpec:
        return BaaSpec(
            **{**self.cleaned_data, "business_associate": self.cleaned_data["business_associate"] or "paitient"}
        )


class SignForm(forms.Form):
    signatory = forms.CharField(max_length=200, label="Signed by", help_text="who signed for the other party")
    document = forms.FileField(
        required=False, label="Signed agreement (PDF)", help_text="not needed if already uploaded"
    )


class DocumentForm(forms.Form):
    document = forms.FileField(label="Signed agreement (PDF)")


class RenewForm(forms.Form):
    expiry_date = forms.DateField(widget=DateInput, label="New expiry date")


class TerminateForm(forms.Form):
    reason = forms.CharField(max_length=300, label="Reason")


ACTION_FORMS: dict[str, type[forms.Form]] = {
    "sign": SignForm,
    "document": DocumentForm,
    "renew": RenewForm,
    "terminate": TerminateForm,
}
