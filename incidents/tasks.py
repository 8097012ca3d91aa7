"""Incident workers: detection over the audit log (beat, every minute, queue `maintenance`) and notice
rendering (queue `reports`). Tasks take ids, never content; both are idempotent and acked late, and a notice
is rendered under its lease (core/recovery.py queues it again if the worker dies)."""

from __future__ import annotations

from celery import shared_task

from core.leases import job_lease
from incidents.detection import detect_all as run
from incidents.models import Notice, NoticeStatus
from incidents.notifications import notice_render


@shared_task(name="incidents.tasks.detect_all", acks_late=True)
def detect_all() -> int:

    return run()


def notice_waits(notice_id: int) -> bool:
    return Notice.objects.filter(pk=notice_id, status=NoticeStatus.QUEUED).exists()


@shared_task(name="incidents.tasks.render_notice", bind=True, acks_late=True, time_limit=10 * 60)
def render_notice(self, notice_id: int) -> str:  # type: ignore[no-untyped-def]
    with job_lease(self, notice_id, still_open=notice_waits) as held:
        if not held:
            return "held by another worker"
        notice = notice_render(notice_id)
        return notice.status if notice is not None else "gone"
