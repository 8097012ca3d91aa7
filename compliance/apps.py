"""App config for compliance: BAAs and the checklist. Registers its report sections, and tells the inference
gateway (deployments, below it) whether an organisation has a BAA in force with a business associate."""

from django.apps import AppConfig


class ComplianceConfig(AppConfig):
    name = "compliance"
    verbose_name = "Compliance"

    def ready(self) -> None:
        from compliance import report_sections  # noqa: F401 - registers the report's compliance sections
        from compliance.baa import baa_in_force
        from deployments.associates import register_baa_check

        register_baa_check(lambda organization, associate: baa_in_force(organization, associate) is not None)
