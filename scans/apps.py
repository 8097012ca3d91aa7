"""App config for PHI scans: registers the scan job with the recovery sweep (core/recovery.py)."""

from django.apps import AppConfig


class ScansConfig(AppConfig):
    name = "scans"
    verbose_name = "PHI scans"

    def ready(self) -> None:
        from core.recovery import register_job, row_job
        from scans import tasks
        from scans.models import PhiScan, ScanStatus
        from scans.services import scan_abandon

        register_job(row_job(task=tasks.phi_scan_run, model=PhiScan, open_states=[ScanStatus.QUEUED,
                             ScanStatus.RUNNING], fail=scan_abandon, noun="PHI scan"))  # fmt: skip
