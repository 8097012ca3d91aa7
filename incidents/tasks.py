"""Incident workers: detection over the audit log (beat, every minute, queue `maintenance`) and notice
rendering (queue `reports`). Tasks take ids, never content; both are idempotent and acked late."""

from __future__ import annotations

from celery import shared_task

from incidents.detection import detect_all as run
from incidents.notifications import notice_render


@shared_task(name="incidents.tasks.detect_all", acks_late=True)
def detect_all() -> int:

    return run()


@shared_task(name="incidents.tasks.render_notice", acks_late=True)
def render_notice(notice_id: int) -> str:

    notice = notice_render(notice_id)
    return notice.status if notice is not None else "gone"
