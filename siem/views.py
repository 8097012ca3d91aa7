"""Console pages under Audit: the organisation's SIEM destinations (list, add, change, remove) and their progress."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from accessctl.console import console_actor
from accessctl.policy import is_allowed, organization_resource
from audit.models import ChainHead
from core.confirm import confirmation
from core.errors import FieldError
from core.forms import show_field_error
from siem import services
from siem.forms import DestinationForm
from siem.models import SiemDestination
from siem.ocsf import OCSF_VERSION


def _initial(destination: SiemDestination) -> dict[str, object]:
    return {"name": destination.name, "kind": destination.kind, "url": destination.url, "host": destination.host,
            "port": destination.port, "ca_pem": destination.ca_pem, "batch_size": destination.batch_size,
            "enabled": destination.enabled}  # fmt: skip


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def destinations_page(request: HttpRequest) -> HttpResponse:
    actor = console_actor(request, "audit:read")
    can_manage = is_allowed(actor, "audit:manage", organization_resource(actor))
    form = DestinationForm(request.POST or None) if can_manage else None
    if request.method == "POST":
        actor = console_actor(request, "audit:manage")
        assert form is not None  # noqa: S101 - console_actor refused anyone who may not manage
        if form.is_valid():
            try:
                created = services.destination_create(actor=actor, data=form.destination_input(),
                                                      start=form.cleaned_data["start"])  # fmt: skip
            except FieldError as exc:
                show_field_error(form, exc)
            else:
                messages.success(request, f"SIEM destination “{created.name}” added. Its token is not shown again.")
                return redirect("siem-destinations")
    head = ChainHead.objects.filter(chain=actor.organization.public_id).first()
    size = head.size if head else 0
    rows = [services.destination_summary(d, chain_size=size) for d in services.destination_list(actor=actor)]
    context = {"destinations": rows, "form": form, "can_manage": can_manage, "ocsf_version": OCSF_VERSION,
               "chain_size": size}  # fmt: skip
    return render(request, "siem/destinations.html", context, status=400 if form is not None and form.errors else 200)


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def destination_edit(request: HttpRequest, destination_id: str) -> HttpResponse:
    actor = console_actor(request, "audit:manage")
    destination = services.access_destination(actor, destination_id, "audit:manage")
    form = DestinationForm(request.POST or None, initial=_initial(destination), current=destination)
    if request.method == "POST" and form.is_valid():
        try:
            services.destination_update(actor=actor, destination=destination, data=form.destination_input())
        except FieldError as exc:
            show_field_error(form, exc)
        else:
            messages.success(request, f"SIEM destination “{destination.name}” saved.")
            return redirect("siem-destinations")
    context = {"destination": destination, "form": form}
    return render(request, "siem/edit.html", context, status=400 if form.errors else 200)


@login_required
@never_cache
@require_POST
def destination_delete(request: HttpRequest, destination_id: str) -> HttpResponse:
    actor = console_actor(request, "audit:manage")
    destination = services.access_destination(actor, destination_id, "audit:manage")
    page = confirmation(request, action="Remove SIEM destination", target=destination.name,
                        consequences="Audit events stop going to this collector. Its sealed token is deleted.",
                        button="Remove destination", back=reverse("siem-destinations"))  # fmt: skip
    if page is not None:
        return page
    services.destination_delete(actor=actor, destination=destination)
    messages.success(request, f"SIEM destination “{destination.name}” removed.")
    return redirect("siem-destinations")
