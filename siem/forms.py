"""Console form for a SIEM destination: the same checks as the REST API (siem/validation.py), all shown at once."""

from __future__ import annotations

from typing import Any

from django import forms

from siem.models import DestinationKind, SiemDestination
from siem.validation import MAX_BATCH, DestinationInput, destination_errors


class DestinationForm(forms.Form):
    name = forms.CharField(max_length=80)
    kind = forms.ChoiceField(label="Kind", choices=DestinationKind.choices, widget=forms.RadioSelect, initial="https")
    url = forms.CharField(label="Collector URL", max_length=500, required=False,
                          help_text="HTTPS collectors: batches of OCSF JSON lines are POSTed here.")  # fmt: skip
    token = forms.CharField(label="Bearer token", max_length=4096, required=False,
                            widget=forms.PasswordInput(render_value=False),
                            help_text="HTTPS collectors. Sealed at rest and never shown again.")  # fmt: skip
    host = forms.CharField(label="Syslog host", max_length=253, required=False,
                           help_text="Syslog over TLS: the receiver's host name or address.")  # fmt: skip
    port = forms.IntegerField(label="Syslog TLS port", required=False, min_value=1, max_value=65535,
                              help_text="6514 if left empty (RFC 5425).")  # fmt: skip
    ca_pem = forms.CharField(label="Trusted CA certificates (PEM)", required=False,
                             widget=forms.Textarea(attrs={"rows": 4}),
                             help_text="Only for a collector whose certificate a private CA issued.")  # fmt: skip
    batch_size = forms.IntegerField(label="Events per batch", min_value=1, max_value=MAX_BATCH, initial=500)
    enabled = forms.BooleanField(label="Deliver events", required=False, initial=True)
    start = forms.ChoiceField(
        label="Start with", initial="beginning",
        choices=[("beginning", "Every retained event"), ("now", "Only events from now on")],
    )  # fmt: skip

    def __init__(self, *args: Any, current: SiemDestination | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.current = current
        if current is not None:
            del self.fields["start"]
            if current.has_token:
                self.fields["token"].help_text = "A token is set. Leave empty to keep it; type a new one to replace it."

    def destination_input(self) -> DestinationInput:
        data = self.cleaned_data
        return DestinationInput(name=data.get("name") or "", kind=data.get("kind") or "", url=data.get("url") or "",
                                host=data.get("host") or "", port=data.get("port"), token=data.get("token") or None,
                                ca_pem=data.get("ca_pem") or "", batch_size=data.get("batch_size") or 500,
                                enabled=bool(data.get("enabled")))  # fmt: skip

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        current = self.current
        errors = destination_errors(self.destination_input(), creating=current is None,
                                    has_token=bool(current and current.has_token))  # fmt: skip
        for field, messages in errors.items():
            if field in self.errors:  # already refused by the field itself (required, a number...)
                continue
            for message in messages:
                self.add_error(field if field in self.fields else None, message)
        return cleaned
