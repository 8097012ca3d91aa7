"""SIEM delivery workers: the beat queues one delivery per due destination (queue `maintenance`); each runs under
the destination's job lease, so a second copy (a beat while the first still runs, a redelivered message) does
nothing, and a worker killed mid-delivery is replaced by the next beat's run (its dead lease is taken over)."""

from __future__ import annotations

from celery import shared_task

from core.leases import job_lease
from siem.delivery import deliver, due_destination_ids


@shared_task(name="siem.tasks.deliver_due", acks_late=True)
def deliver_due() -> int:
    ids = due_destination_ids()
    for destination_pk in ids:
        deliver_destination.delay(destination_pk)
    return len(ids)


@shared_task(name="siem.tasks.deliver_destination", bind=True, acks_late=True, time_limit=10 * 60)
def deliver_destination(self, destination_pk: int) -> int:  # type: ignore[no-untyped-def]
    with job_lease(self, destination_pk) as held:
        if not held:
            return 0
        return deliver(destination_pk).delivered
