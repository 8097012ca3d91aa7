"""App config for compliance: HIPAA mode controls, BAAs, the checklist, incidents."""

from django.apps import AppConfig


class ComplianceConfig(AppConfig):
    name = "compliance"
    verbose_name = "Compliance"
