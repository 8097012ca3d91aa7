"""Audit maintenance: the sequencer, signed checkpoints, retention (beat-scheduled; idempotent)."""

from __future__ import annotations

from celery import shared_task

from accessctl.models import Organization
from accessctl.security import hipaa_mode
from audit.retention import HIPAA_DOCUMENTATION_DAYS, RetentionRefused, retention_purge
from audit.services import checkpoint_all, sequence_all


@shared_task(name="audit.tasks.sequence_pending", acks_late=True)
def sequence_pending() -> int:
    return sequence_all()


@shared_task(name="audit.tasks.checkpoint_chains", acks_late=True)
def checkpoint_chains() -> int:
    return checkpoint_all()


@shared_task(name="audit.tasks.retention_purge_all", acks_late=True)
def retention_purge_all() -> int:
    purged = 0
    for organization in Organization.objects.all():
        try:
            floor = HIPAA_DOCUMENTATION_DAYS if hipaa_mode(organization) else 0
            purged += retention_purge(organization=organization, minimum_days=floor).purged
        except RetentionRefused:
            continue
    return purged
