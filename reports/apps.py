"""App config for compliance reports."""

import logging

from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = "Compliance reports"

    def ready(self) -> None:
        # WeasyPrint logs each rendering step at INFO; workers' logs need only its warnings.
        logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)
