"""Console form for issuing a SCIM token."""

from django import forms


class ScimTokenForm(forms.Form):
    name = forms.CharField(
        max_length=100, help_text="The identity provider connection, e.g. okta-production or entra-id"
    )
