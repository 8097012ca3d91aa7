"""The PHI scan worker (queue `phi`): takes the scan's id, never its content."""

from __future__ import annotations

from celery import shared_task

from scans.models import PhiScan
from scans.services import scan_run


@shared_task(name="scans.tasks.phi_scan_run", bind=True, acks_late=True)
def phi_scan_run(self, scan_id: int) -> str:  # type: ignore[no-untyped-def]
    if not PhiScan.objects.filter(pk=scan_id).exists():
        return "gone"

    def progress(percent: int) -> None:
        PhiScan.objects.filter(pk=scan_id).update(progress_percent=percent)

    return scan_run(scan_id, progress).status
