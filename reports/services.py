"""Requesting, rendering and downloading compliance reports; each step is audited with counts, never PHI."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

import structlog
from django.core.signing import BadSignature, SignatureExpired, TimestampSigner
from django.db import transaction
from django.http import HttpResponse
from django.utils import timezone

from accessctl.policy import authorize
from audit.models import Outcome
from audit.services import record
from core.errors import FieldError
from core.queueing import enqueue_on_commit, require_broker
from reports import sections
from reports.models import ComplianceReport, OutputFormat, ReportStatus, ReportType, TimePeriod
from reports.render import ReportDocument, collect, headline, render

if TYPE_CHECKING:
    from accessctl.actor import Actor

log = structlog.get_logger(__name__)

PERIOD_DAYS = {TimePeriod.LAST_7_DAYS: 7, TimePeriod.LAST_30_DAYS: 30, TimePeriod.LAST_90_DAYS: 90}
MAX_CUSTOM_DAYS = 400
DOWNLOAD_TTL_SECONDS = 600
_DOWNLOAD_SALT = "reports.download"


class ReportError(FieldError):
    """A report request was refused; `field` names the offending input."""


class ReportNotReady(Exception):
    """The report is not rendered (yet, or it failed): there is nothing to download."""


class DownloadLinkInvalid(Exception):
    """The download token is missing, forged, for another report, or expired; the message says which."""


# --- request ------------------------------------------------------------------------------------


def _instant(value: Any, field: str) -> tuple[datetime, bool]:
    """(instant, was a bare date). Dates and naive times are UTC."""
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)), False
    if isinstance(value, date):
        return datetime.combine(value, time.min, tzinfo=UTC), True
    if isinstance(value, str) and value.strip():
        text = value.strip()
        try:
            return datetime.combine(date.fromisoformat(text), time.min, tzinfo=UTC), True
        except ValueError:
            pass
        try:
            return _instant(datetime.fromisoformat(text.replace("Z", "+00:00")), field)
        except ValueError:
            pass
    raise ReportError(field, "Give a date (YYYY-MM-DD) or an ISO 8601 time.")


def resolve_period(
    time_period: str, start_date: Any = None, end_date: Any = None, *, now: datetime | None = None
) -> tuple[datetime, datetime]:
    """[start, end) in UTC. Preset periods end now; custom dates are whole days, the end date included."""
    now = now or timezone.now()
    if time_period not in TimePeriod.values:
        raise ReportError("time_period", f"Choose one of: {', '.join(TimePeriod.values)}.")
    if time_period != TimePeriod.CUSTOM:
        for field, value in (("start_date", start_date), ("end_date", end_date)):
            if value:
                raise ReportError(field, "Dates are given only with time_period custom.")
        return now - timedelta(days=PERIOD_DAYS[TimePeriod(time_period)]), now
    for field, value in (("start_date", start_date), ("end_date", end_date)):
        if not value:
            raise ReportError(field, "A custom period needs start_date and end_date.")
    start, _ = _instant(start_date, "start_date")
    end, whole_day = _instant(end_date, "end_date")
    if start > now:
        raise ReportError("start_date", "Must not be in the future.")
    if end > now:
        raise ReportError("end_date", "Must not be in the future.")
    if whole_day:
        end = min(end + timedelta(days=1), now)
    if end <= start:
        raise ReportError("end_date", "Must come after start_date.")
    if end - start > timedelta(days=MAX_CUSTOM_DAYS):
        raise ReportError("end_date", f"A report covers at most {MAX_CUSTOM_DAYS} days.")
    return start, end


def resolve_sections(include_sections: Any, report_type: str = ReportType.HIPAA) -> list[str]:
    valid = sections.available()
    if include_sections is None:
        return sections.defaults(report_type)
    if not isinstance(include_sections, list | tuple) or not all(isinstance(s, str) for s in include_sections):
        raise ReportError("include_sections", f"Give a list of section names: {', '.join(valid)}.")
    if not include_sections:
        raise ReportError("include_sections", f"Name at least one section: {', '.join(valid)}.")
    unknown = [name for name in include_sections if name not in valid]
    if unknown:
        raise ReportError("include_sections", f"Unknown section {unknown[0]!r}; valid sections: {', '.join(valid)}.")
    return list(dict.fromkeys(include_sections))


def report_request(
    *,
    actor: Actor,
    report_type: str = ReportType.HIPAA,
    time_period: str = TimePeriod.LAST_30_DAYS,
    include_sections: list[str] | None = None,
    output_format: str = OutputFormat.PDF,
    start_date: Any = None,
    end_date: Any = None,
) -> ComplianceReport:
    """Validate, authorise (`report:generate` on `report/<type>`), store and queue a report for a worker."""
    if report_type not in ReportType.values:
        raise ReportError("report_type", f"Choose one of: {', '.join(ReportType.values)}.")
    # Authorise before the transaction: a refusal's audit event must not roll back with it.
    authorize(actor, "report:generate", f"report/{report_type}")
    require_broker()  # a report no worker can render is refused before anything is stored
    return _report_create(
        actor=actor,
        report_type=report_type,
        time_period=time_period,
        include_sections=include_sections,
        output_format=output_format,
        start_date=start_date,
        end_date=end_date,
    )


@transaction.atomic
def _report_create(
    *, actor: Actor, report_type: str, time_period: str, include_sections: Any, output_format: str,
    start_date: Any, end_date: Any,
) -> ComplianceReport:  # fmt: skip
    if output_format not in OutputFormat.values:
        raise ReportError("output_format", f"Choose one of: {', '.join(OutputFormat.values)}.")
    start, end = resolve_period(time_period, start_date, end_date)
    chosen = resolve_sections(include_sections, report_type)
    report = ComplianceReport.objects.create(
        organization=actor.organization,
        requested_by=actor.user,
        report_type=report_type,
        time_period=time_period,
        period_start=start,
        period_end=end,
        sections=chosen,
        output_format=output_format,
    )
    record(
        actor=actor,
        event_type="report.requested",
        resource=report.resource,
        resource_id=report.public_id,
        details={"report_type": report_type, "time_period": time_period, "sections": chosen,
                 "output_format": output_format, "period_start": start.isoformat(), "period_end": end.isoformat()},
    )  # fmt: skip
    from reports import tasks  # here, not at the top: the task module imports this one

    enqueue_on_commit(tasks.render_report, report.pk, failed=lambda: _not_queued(report.pk))
    return report


def _not_queued(report_id: int) -> None:
    report = ComplianceReport.objects.select_related("organization", "requested_by").get(pk=report_id)
    _finish_failed(report, "The report queue was unavailable; nothing was rendered. Ask for the report again.")


# --- rendering (the worker) ---------------------------------------------------------------------


def report_render(report_id: int) -> ComplianceReport | None:
    """Render a queued report; idempotent (a finished report is returned as it is). Progress is written
    as it goes so the console and the SDK can show it."""
    report = ComplianceReport.objects.select_related("organization", "requested_by").filter(pk=report_id).first()
    if report is None or report.status in {ReportStatus.READY, ReportStatus.FAILED}:
        return report
    ComplianceReport.objects.filter(pk=report_id, status__in=[ReportStatus.QUEUED, ReportStatus.RENDERING]).update(
        status=ReportStatus.RENDERING, progress_percent=1, progress_stage="starting"
    )

    def progress(percent: int, stage: str) -> None:
        ComplianceReport.objects.filter(pk=report_id).update(progress_percent=percent, progress_stage=stage[:100])

    try:
        document = collect(report, progress)
        progress(85, f"rendering {report.output_format}")
        output = render(document)
    except Exception as exc:  # any failure fails the report, visibly; the type is logged, never data
        log.error("report.render_failed", report_id=report.public_id, exception_type=type(exc).__name__)
        return _finish_failed(report, f"Rendering failed ({type(exc).__name__}).")
    progress(95, "encrypting and storing")
    try:
        return _finish_ready(report, document, output)
    except Exception as exc:  # e.g. the audit log refused the event: nothing was stored, say so
        log.error("report.store_failed", report_id=report.public_id, exception_type=type(exc).__name__)
        report.refresh_from_db()
        return _finish_failed(report, f"Storing failed ({type(exc).__name__}).")


def _finished_meanwhile(report: ComplianceReport) -> ComplianceReport | None:
    """Lock the report's row; if another delivery of the task (a redelivery after a worker was presumed lost)
    finished it meanwhile, that result stands: one stored report and one audit event, not two."""
    current = ComplianceReport.objects.select_for_update().get(pk=report.pk)
    return current if current.status in {ReportStatus.READY, ReportStatus.FAILED} else None


@transaction.atomic
def _finish_ready(report: ComplianceReport, document: ReportDocument, output: bytes) -> ComplianceReport:
    finished = _finished_meanwhile(report)
    if finished is not None:
        return finished
    report.content = output
    report.sha256 = hashlib.sha256(output).hexdigest()
    report.size_bytes = len(output)
    report.figures = headline(document)
    report.status = ReportStatus.READY
    report.progress_percent = 100
    report.progress_stage = "ready"
    report.error = ""
    report.finished_at = timezone.now()
    report.save()
    record(
        actor=None,
        organization=report.organization,
        user=report.requested_by,
        event_type="report.generated",
        resource=report.resource,
        resource_id=report.public_id,
        details={
            "output_format": report.output_format,
            "sections": list(report.sections),
            "counts": {"audit_events": document.total_events, **_numeric(report.figures)},
            "chain_verified": document.evidence.ok,
            "checkpoint_tree_size": document.evidence.checkpoint.tree_size if document.evidence.checkpoint else 0,
            "sha256": report.sha256,
            "size": report.size_bytes,
        },
    )
    return report


def _numeric(figures: dict[str, dict[str, Any]]) -> dict[str, dict[str, int | float]]:
    """Counts only, for the audit event (a section another app registers may show text figures)."""
    return {
        section: {label: value for label, value in values.items() if isinstance(value, int | float)}
        for section, values in figures.items()
    }


@transaction.atomic
def _finish_failed(report: ComplianceReport, error: str) -> ComplianceReport:
    finished = _finished_meanwhile(report)
    if finished is not None:
        return finished
    report.status = ReportStatus.FAILED
    report.error = error[:300]
    report.progress_stage = "failed"
    report.finished_at = timezone.now()
    report.save(update_fields=["status", "error", "progress_stage", "finished_at"])
    record(
        actor=None,
        organization=report.organization,
        user=report.requested_by,
        event_type="report.failed",
        outcome=Outcome.ERROR,
        resource=report.resource,
        resource_id=report.public_id,
        details={"output_format": report.output_format, "sections": list(report.sections), "error": report.error},
    )
    return report


# --- download -----------------------------------------------------------------------------------


def _binding(report: ComplianceReport) -> str:
    return f"{report.organization.public_id}/{report.public_id}"


def download_token(report: ComplianceReport) -> str:
    """A token for this report's download link, valid DOWNLOAD_TTL_SECONDS; the link still needs a signed-in
    member (or API key) with `report:read` in the report's organisation."""
    binding = _binding(report)
    return TimestampSigner(salt=_DOWNLOAD_SALT).sign(binding)[len(binding) + 1 :]


def check_download_token(report: ComplianceReport, token: str) -> None:
    if not token:
        raise DownloadLinkInvalid("The download link has no token; ask for the report again for a fresh link.")
    try:
        TimestampSigner(salt=_DOWNLOAD_SALT).unsign(f"{_binding(report)}:{token}", max_age=DOWNLOAD_TTL_SECONDS)
    except SignatureExpired:
        raise DownloadLinkInvalid("The download link has expired; ask for the report again for a fresh link.") from None
    except BadSignature:
        raise DownloadLinkInvalid("The download link is not valid for this report.") from None


def report_download(*, actor: Actor, report: ComplianceReport, token: str) -> HttpResponse:
    """The report's output as an attachment, for an actor already allowed `report:read` on it."""
    if report.status != ReportStatus.READY:
        raise ReportNotReady(f"The report is {report.status}; there is nothing to download.")
    try:
        check_download_token(report, token)
    except DownloadLinkInvalid:
        record(actor=actor, event_type="access.denied", outcome=Outcome.DENIED, resource=report.resource,
               resource_id=report.public_id, details={"reason": "download_token"})  # fmt: skip
        raise
    data = bytes(report.content)
    record(
        actor=actor,
        event_type="report.downloaded",
        resource=report.resource,
        resource_id=report.public_id,
        details={"output_format": report.output_format, "sha256": report.sha256, "size": len(data)},
    )
    response = HttpResponse(data, content_type=report.content_type)
    response["Content-Disposition"] = f'attachment; filename="{report.filename}"'
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def report_abandon(report_id: int, reason: str) -> None:
    """The recovery sweep gave up on the report (its workers kept stopping): fail it with the reason."""
    report = ComplianceReport.objects.select_related("organization", "requested_by").get(pk=report_id)
    _finish_failed(report, reason)
