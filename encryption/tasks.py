"""Re-encryption after rotation: every encrypted field of the organisation's rows, under its new keys. The
rotation's run (core/models.py JobRun) is its job row: the task holds its lease and writes its progress there,
and the recovery sweep (core/recovery.py) queues it again if the worker dies half-way."""

from __future__ import annotations

from celery import shared_task
from django.db import transaction

from accessctl.models import Organization
from audit.services import record
from core.leases import job_lease, job_progress
from encryption.fields import REGISTRY, Sealed
from encryption.hybrid import read_header
from encryption.models import KeyStatus, OrganizationKey

BATCH = 200
PROGRESS_EVERY = 20  # rows re-sealed between progress writes (each also renews the lease)


@shared_task(name="encryption.tasks.reencrypt_organization", bind=True, acks_late=True, max_retries=3,
             time_limit=60 * 60)  # fmt: skip
def reencrypt_organization(self, organization_id: int) -> int:  # type: ignore[no-untyped-def]
    """Idempotent: rows already under an active key are skipped. Returns how many values were re-sealed."""
    with job_lease(self, organization_id, once=True) as held:  # a second delivery must not run (and audit) again
        return _reencrypt(self, organization_id) if held else 0


def _reencrypt(task, organization_id: int) -> int:  # type: ignore[no-untyped-def]
    organization = Organization.objects.get(pk=organization_id)
    active = set(
        OrganizationKey.objects.filter(organization=organization, status=KeyStatus.ACTIVE).values_list(
            "key_id", flat=True
        )
    )
    models = sorted({model for model, _ in REGISTRY}, key=lambda m: m._meta.label)
    total_models = len(models) or 1
    resealed = rows_resealed = 0
    for index, model in enumerate(models):
        fields = [field for registered, field in REGISTRY if registered is model]
        manager = model._default_manager
        pks = list(manager.filter(organization=organization).order_by("pk").values_list("pk", flat=True))
        # Batches read whole before anything is written: an open read cursor across the writes would hold SQLite's
        # shared lock, and a second writer (the lease's heartbeat) then deadlocks with this one.
        batches = (list(manager.filter(pk__in=pks[start : start + BATCH]).order_by("pk")) for start in
                   range(0, len(pks), BATCH))  # fmt: skip
        for row in (row for batch in batches for row in batch):
            stale = [
                field
                for field in fields
                if isinstance(row.__dict__.get(field.attname), Sealed)
                and read_header(row.__dict__[field.attname]).key_id not in active
            ]
            if not stale:
                continue
            with transaction.atomic():
                for field in stale:
                    getattr(row, field.attname)  # opens with the retired key
                row.save(update_fields=[field.name for field in stale])  # re-sealed under the active key
            resealed += len(stale)
            rows_resealed += 1
            if rows_resealed % PROGRESS_EVERY == 0:  # the console shows how far it got
                job_progress(task, organization_id, int(100 * index / total_models))
        job_progress(task, organization_id, int(100 * (index + 1) / total_models))
        if task.request.id:  # run by a worker (not called directly): report progress to the result backend too
            progress = {"percent": int(100 * (index + 1) / total_models), "stage": model._meta.label}
            task.update_state(state="PROGRESS", meta=progress)
    record(
        actor=None,
        organization=organization,
        event_type="encryption.reencrypted",
        details={"values": resealed},
    )
    return resealed
