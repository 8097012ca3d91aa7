"""Console: request a compliance report, watch the worker's progress (htmx), download it when ready."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from accessctl.actor import Actor
from accessctl.console import console_actor
from accessctl.policy import is_allowed
from core.forms import show_field_error
from reports import sections
from reports.forms import ReportForm
from reports.models import ComplianceReport, ReportStatus, ReportType
from reports.selectors import access_report, report_list
from reports.services import ReportError, download_token, report_request

PENDING = {ReportStatus.QUEUED, ReportStatus.RENDERING}


def _reports_actor(request: HttpRequest) -> Actor:
    return console_actor(request, "report:read", f"report/{ReportType.HIPAA}")


def _table_context(actor: Actor) -> dict[str, object]:
    reports: QuerySet[ComplianceReport] = report_list(actor=actor)[:50]
    rows = list(reports)
    titles = {name: spec.title for name, spec in sections.REGISTRY.items()}
    return {
        "reports": [(report, [titles.get(name, name) for name in report.sections]) for report in rows],
        "pending": any(report.status in PENDING for report in rows),
    }


@login_required
@never_cache
def reports_page(request: HttpRequest) -> HttpResponse:
    actor = _reports_actor(request)
    may_generate = is_allowed(actor, "report:generate", f"report/{ReportType.HIPAA}")
    form = ReportForm(request.POST or None)
    if request.method == "POST":
        if not may_generate:
            raise PermissionDenied("report:generate")
        if form.is_valid():
            data = form.cleaned_data
            try:
                report_request(
                    actor=actor,
                    report_type=data["report_type"] or ReportType.HIPAA,
                    time_period=data["time_period"],
                    include_sections=data["include_sections"] or None,
                    output_format=data["output_format"],
                    start_date=data["start_date"],
                    end_date=data["end_date"],
                )
            except ReportError as exc:
                show_field_error(form, exc)
            else:
                messages.success(request, "Report requested; the table shows its progress.")
                return redirect("reports")
    return render(
        request, "reports/reports.html", {"form": form, "may_generate": may_generate, **_table_context(actor)}
    )


@login_required
@never_cache
@require_GET
def reports_table(request: HttpRequest) -> HttpResponse:
    return render(request, "reports/_table.html", _table_context(_reports_actor(request)))


@login_required
@never_cache
@require_GET
def report_download(request: HttpRequest, report_id: str) -> HttpResponse:
    """Mint a fresh short-lived link and send the browser to it; the REST download checks and audits."""
    actor = _reports_actor(request)
    report = access_report(actor=actor, report_id=report_id)
    if report.status != ReportStatus.READY:
        raise Http404("report not ready")
    path = reverse("api-report-download", args=[report.public_id])
    return redirect(f"{path}?{urlencode({'token': download_token(report)})}")
