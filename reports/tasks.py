"""The report worker (queue `reports`): takes the report's id, never its content; idempotent, acked late, and
holding the report's lease while it renders (core/recovery.py queues it again if the worker dies)."""

from __future__ import annotations

from celery import shared_task

from core.leases import job_lease
from reports.models import ComplianceReport, ReportStatus
from reports.services import report_render


def report_waits(report_id: int) -> bool:
    open_states = [ReportStatus.QUEUED, ReportStatus.RENDERING]
    return ComplianceReport.objects.filter(pk=report_id, status__in=open_states).exists()


@shared_task(name="reports.tasks.render_report", bind=True, acks_late=True, time_limit=60 * 60)
def render_report(self, report_id: int) -> str:  # type: ignore[no-untyped-def]
    with job_lease(self, report_id, still_open=report_waits) as held:
        if not held:
            return "held by another worker"
        report = report_render(report_id)
        return report.status if report is not None else "gone"
