"""Console: the organisation's keys (algorithms, dates, status — never key material) and rotation."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from accessctl.console import console_actor
from core.confirm import confirmation
from core.recovery import job_run
from encryption.models import OrganizationKey
from encryption.services import keys_rotate


@login_required
@never_cache
def keys_page(request: HttpRequest) -> HttpResponse:
    actor = console_actor(request, "settings:manage")
    keys = OrganizationKey.objects.filter(organization=actor.organization).defer("sealed_secret", "public_key")
    rotation = job_run("encryption.tasks.reencrypt_organization", actor.organization.pk)
    return render(request, "encryption/keys.html", {"keys": keys, "rotation": rotation})


@login_required
@require_POST
def keys_rotate_view(request: HttpRequest) -> HttpResponse:
    actor = console_actor(request, "settings:manage")
    confirm = confirmation(
        request,
        action="Rotate encryption keys",
        target=f"The data keys of {actor.organization.name}",
        consequences="New keys become active now and a worker re-encrypts every stored record under them; the "
        "old keys are retired. Rotation cannot be undone.",
        button="Rotate the keys",
        back=reverse("encryption-keys"),
    )
    if confirm is not None:
        return confirm
    fresh = keys_rotate(actor=actor)
    messages.success(request, f"New keys {', '.join(k.key_id[:8] for k in fresh)} active; re-encryption queued.")
    return redirect("encryption-keys")
