"""Console forms."""

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm

from sso.signin import password_sign_in_refused


class LoginForm(AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "Wrong username or password.",
        "sso_required": "Your organisation signs in with single sign-on: use “Sign in with SSO”.",
    }

    def confirm_login_allowed(self, user: Any) -> None:
        super().confirm_login_allowed(user)
        if self.request is not None and password_sign_in_refused(request=self.request, user=user):
            raise forms.ValidationError(self.error_messages["sso_required"], code="sso_required")
