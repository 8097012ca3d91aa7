"""The report worker (queue `reports`): takes the report's id, never its content; idempotent, acked late."""

from __future__ import annotations

from celery import shared_task

from reports.services import report_render


@shared_task(name="reports.tasks.render_report", acks_late=True)
def render_report(report_id: int) -> str:
    report = report_render(report_id)
    return report.status if report is not None else "gone"
