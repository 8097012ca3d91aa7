"""Compliance beat tasks (queue `maintenance`)."""

from __future__ import annotations

from celery import shared_task

from accessctl.models import Organization
from compliance.baa import baa_refresh
from compliance.history import checklist_snapshot


@shared_task(name="compliance.tasks.baa_refresh_all", acks_late=True)
def baa_refresh_all() -> dict[str, int]:
    return baa_refresh()


@shared_task(name="compliance.tasks.checklist_snapshot_all", acks_late=True)
def checklist_snapshot_all() -> int:
    """Daily: evaluate every organisation's checklist (verifying audit chains in full) and keep a snapshot."""
    taken = 0
    for organization_id in Organization.objects.order_by("pk").values_list("pk", flat=True):
        checklist_snapshot(organization=Organization.objects.get(pk=organization_id))
        taken += 1
    return taken
