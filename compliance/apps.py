"""App config for compliance: HIPAA mode controls, BAAs, the checklist, incidents."""

from django.apps import AppConfig


class ComplianceConfig(AppConfig):
    name = "compliance"
    verbose_name = "Compliance"

    def ready(self) -> None:
        from compliance import report_sections  # noqa: F401 - registers the report's compliance sections
