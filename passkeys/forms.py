"""Console form for naming a passkey (the enrolment form is the same field, sent by passkeys.js)."""

from __future__ import annotations

from django import forms

from passkeys.services import NAME_MAX_LENGTH


class PasskeyNameForm(forms.Form):
    name = forms.CharField(
        label="Passkey name",
        max_length=NAME_MAX_LENGTH,
        help_text="How you will recognise it, for example “Work laptop” or “YubiKey on my keyring”.",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
