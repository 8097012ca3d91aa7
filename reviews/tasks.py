"""Celery: the daily access-review scheduler (start due campaigns, audit overdue ones)."""

from __future__ import annotations

from celery import shared_task

from reviews.services import campaigns_record_overdue, campaigns_start_due


@shared_task(name="reviews.tasks.access_reviews_daily")
def access_reviews_daily() -> dict[str, int]:
    started = campaigns_start_due()
    overdue = campaigns_record_overdue()
    return {"started": len(started), "overdue": overdue}
