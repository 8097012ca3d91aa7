"""Beat: end pending requests and grants whose time is up (grants also stop working on use, without this)."""

from __future__ import annotations

from celery import shared_task

from emergency.services import expire_due


@shared_task(name="emergency.tasks.expire_emergency_access", acks_late=True)
def expire_emergency_access() -> dict[str, int]:
    return expire_due()
