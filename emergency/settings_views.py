"""Console: the organisation's emergency access policy (the seed's four settings, approvals and request expiry),
edited by members with `settings:manage`; every change is audited as `settings.changed`."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache

from accessctl.console import console_actor
from accessctl.models import Organization, Role
from core.errors import FieldError
from emergency.services import emergency_policy_for
from emergency.settings_section import LIMITS, EmergencyChanges, emergency_policy_update


def _bounded(name: str, label: str, help_text: str) -> forms.IntegerField:
    low, high = LIMITS[name]
    limits = f"{help_text} ({low} to {high})"
    return forms.IntegerField(min_value=low, max_value=high, label=label, help_text=limits)


class EmergencySettingsForm(forms.Form):
    enabled = forms.BooleanField(required=False, label="Allow emergency (break-glass) access")
    authorized_roles = forms.MultipleChoiceField(
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Roles whose members may ask",
        help_text="Members of these roles may request emergency access; nobody else can.",
    )
    require_multi_approval = forms.BooleanField(
        required=False, label="Require approval by several people (recommended)"
    )
    approvals_required = _bounded("approvals_required", "Approvals needed", "when several must approve")
    access_duration_hours = _bounded("access_duration_hours", "Grant lasts (hours)", "then it ends by itself")
    request_ttl_hours = _bounded("request_ttl_hours", "An unanswered request expires after (hours)", "hours")

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["authorized_roles"]
        assert isinstance(field, forms.MultipleChoiceField)  # noqa: S101 - narrows the type for mypy
        field.choices = [
            (name, name)
            for name in Role.objects.filter(organization=organization).order_by("name").values_list("name", flat=True)
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("enabled") and not data.get("authorized_roles"):
            self.add_error("authorized_roles", "Choose at least one role, or nobody can ask.")
        return data


@login_required
@never_cache
def emergency_settings(request: HttpRequest) -> HttpResponse:
    actor = console_actor(request, "settings:manage")
    policy = emergency_policy_for(actor.organization)
    initial = {
        "enabled": policy.enabled,
        "authorized_roles": list(policy.authorized_roles),
        "require_multi_approval": policy.require_multi_approval,
        "approvals_required": policy.approvals_needed,
        "access_duration_hours": policy.access_duration_hours,
        "request_ttl_hours": policy.request_ttl_hours,
    }
    form = EmergencySettingsForm(request.POST or None, initial=initial, organization=actor.organization)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                with transaction.atomic():
                    emergency_policy_update(actor=actor, changes=EmergencyChanges(**form.cleaned_data))
            except FieldError as exc:
                name = exc.field.removeprefix("emergency_access.")
                form.add_error(name if name in form.fields else None, str(exc))
                status = 400
            else:
                messages.success(request, "Emergency access settings saved.")
                return redirect("emergency-settings")
        else:
            status = 400
    return render(request, "emergency/settings.html", {"form": form, "policy": policy}, status=status)
