"""Console: upload a file for a PHI scan, watch it finish (htmx), see counts, download the redacted copy."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from accessctl.actor import Actor
from accessctl.console import console_actor
from accessctl.tenancy import tenant_get
from core.forms import show_field_error
from scans.models import PhiScan, ScanFormat, ScanStatus
from scans.services import ScanError, redacted_download, scan_start


class ScanForm(forms.Form):
    file = forms.FileField()
    format = forms.ChoiceField(choices=[("", "from the file name"), *ScanFormat.choices], required=False)


def _recent(actor: Actor) -> QuerySet[PhiScan]:
    """The organisation's latest scans, without loading the encrypted blobs."""
    return PhiScan.objects.filter(organization=actor.organization).defer("upload", "redacted", "findings")[:50]


@login_required
@never_cache
def scans_page(request: HttpRequest) -> HttpResponse:
    actor = console_actor(request, "phi_scan:run")
    form = ScanForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            scan_start(
                actor=actor, filename=upload.name or "", data=upload.read(), fmt=form.cleaned_data["format"] or None
            )
        except ScanError as exc:
            show_field_error(form, exc)
        else:
            messages.success(request, "Scan queued; the table updates when it finishes.")
            return redirect("phi-scans")
    return render(request, "scans/scans.html", {"form": form, "scans": _recent(actor)})


@login_required
@never_cache
@require_GET
def scans_table(request: HttpRequest) -> HttpResponse:
    actor = console_actor(request, "phi_scan:run")
    return render(request, "scans/_table.html", {"scans": _recent(actor)})


@login_required
@never_cache
@require_GET
def scan_detail(request: HttpRequest, scan_id: str) -> HttpResponse:
    """One scan: its file, progress, what was found by type, and the redacted copy (positions stay in the API)."""
    actor = console_actor(request, "phi_scan:run")
    scans = PhiScan.objects.defer("upload", "redacted", "findings").select_related("created_by")
    scan = tenant_get(scans, actor, scan_id)
    counts = sorted(scan.counts.items(), key=lambda item: (-item[1], item[0]))
    return render(request, "scans/detail.html", {"scan": scan, "counts": counts, "found": sum(scan.counts.values())})


@login_required
@never_cache
@require_GET
def scan_redacted(request: HttpRequest, scan_id: str) -> HttpResponse:
    actor = console_actor(request, "phi_scan:run")
    return redacted_download(tenant_get(PhiScan.objects.filter(status=ScanStatus.DONE), actor, scan_id))
