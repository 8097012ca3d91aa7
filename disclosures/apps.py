"""App config for the accounting of disclosures: registers its recorder with the gateway and with scans."""

from django.apps import AppConfig


class DisclosuresConfig(AppConfig):
    name = "disclosures"
    verbose_name = "Accounting of disclosures"

    def ready(self) -> None:
        from deployments.gateway import register_disclosure_recorder
        from disclosures.services import disclosure_record_inference, disclosure_record_scan
        from scans.services import register_scan_disclosure_recorder

        register_disclosure_recorder(disclosure_record_inference)
        register_scan_disclosure_recorder(disclosure_record_scan)
