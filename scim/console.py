"""Console pages for SCIM provisioning: the organisation's tokens (issue, shown once; revoke)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from accessctl.console import console_actor
from accessctl.tenancy import tenant_get
from core.confirm import confirmation
from core.forms import show_field_error
from scim.forms import ScimTokenForm
from scim.models import ScimToken
from scim.tokens import ScimTokenError, scim_token_issue, scim_token_revoke


@login_required
@never_cache
def scim_tokens_page(request: HttpRequest) -> HttpResponse:
    actor = console_actor(request, "user:manage")
    form = ScimTokenForm(request.POST or None)
    bearer = None
    if request.method == "POST" and form.is_valid():
        try:
            _, bearer = scim_token_issue(actor=actor, name=form.cleaned_data["name"])
        except ScimTokenError as exc:
            show_field_error(form, exc)
        else:
            form = ScimTokenForm()
    tokens = ScimToken.objects.filter(organization=actor.organization).select_related("issued_by")
    base_url = request.build_absolute_uri(reverse("scim-spc")).removesuffix("/ServiceProviderConfig")
    context = {"form": form, "tokens": tokens, "bearer": bearer, "base_url": base_url}
    return render(request, "scim/tokens.html", context)


@login_required
@require_POST
def scim_token_revoke_view(request: HttpRequest, token_id: str) -> HttpResponse:
    actor = console_actor(request, "user:manage")
    token = tenant_get(ScimToken.objects.all(), actor, token_id)
    confirm = confirmation(
        request,
        action="Revoke a SCIM token",
        target=f"{token.name} ({token.prefix}…)",
        consequences="The identity provider using it can no longer provision or deprovision members, from its "
        "next request. Members already provisioned stay as they are.",
        button=f"Revoke {token.name}",
        back=reverse("scim-tokens"),
    )
    if confirm is not None:
        return confirm
    scim_token_revoke(actor=actor, token=token)
    messages.success(request, f"SCIM token {token.name} revoked.")
    return redirect("scim-tokens")
