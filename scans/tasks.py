"""The PHI scan worker (queue `phi`): takes the scan's id, never its content; holds the scan's lease while it
runs, so the recovery sweep (core/recovery.py) queues it again if the worker dies."""

from __future__ import annotations

from celery import shared_task

from core.leases import job_lease
from scans.models import PhiScan, ScanStatus
from scans.services import scan_run


def scan_waits(scan_id: int) -> bool:
    return PhiScan.objects.filter(pk=scan_id, status__in=[ScanStatus.QUEUED, ScanStatus.RUNNING]).exists()


@shared_task(name="scans.tasks.phi_scan_run", bind=True, acks_late=True, time_limit=30 * 60)
def phi_scan_run(self, scan_id: int) -> str:  # type: ignore[no-untyped-def]
    if not PhiScan.objects.filter(pk=scan_id).exists():
        return "gone"

    def progress(percent: int) -> None:
        PhiScan.objects.filter(pk=scan_id).update(progress_percent=percent)

    with job_lease(self, scan_id, still_open=scan_waits) as held:
        if not held:
            return "held by another worker"
        return scan_run(scan_id, progress).status
