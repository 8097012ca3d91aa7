"""The recovery sweep as a beat task (queue `maintenance`, every JOB_RECOVERY_SWEEP_SECONDS)."""

from __future__ import annotations

from celery import shared_task

from core.recovery import recovery_sweep


@shared_task(name="core.tasks.recovery_sweep", acks_late=True)
def sweep_lost_jobs() -> dict[str, int]:
    return recovery_sweep()
