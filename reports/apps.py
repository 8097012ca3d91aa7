"""App config for compliance reports: registers report rendering with the recovery sweep (core/recovery.py)."""

import logging

from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = "Compliance reports"

    def ready(self) -> None:
        from core.recovery import register_job, row_job
        from reports import tasks
        from reports.models import ComplianceReport, ReportStatus
        from reports.services import report_abandon

        # WeasyPrint logs each rendering step at INFO; workers' logs need only its warnings.
        logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)
        register_job(row_job(task=tasks.render_report, model=ComplianceReport, open_states=[ReportStatus.QUEUED,
                             ReportStatus.RENDERING], fail=report_abandon, noun="report"))  # fmt: skip
