"""Continuous delivery of an organisation's sequenced audit events to one destination, at least once, in order.

A run reads the events after the destination's cursor in sequence order, sends them in batches and moves the
cursor past a batch only after the collector acknowledged it (a conditional UPDATE from the cursor it started
at, so two runs can never move it backwards or skip). A worker that dies mid-batch leaves the cursor where it
was: the next run sends that batch again, and the collector recognises the repeats by `metadata.uid`. After a
failure the destination waits with exponential backoff (and jitter) before the beat tries it again.

Delivery itself writes no audit event per batch (each would be exported in turn, forever); a destination
starting to fail, and recovering, are audited.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from datetime import timedelta

import structlog
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from audit.models import AuditEvent, Outcome
from audit.services import record
from siem.models import SiemDestination
from siem.ocsf import to_line, to_ocsf
from siem.transports import DeliveryFailed, send

log = structlog.get_logger(__name__)

BACKOFF_BASE_SECONDS = 5
BACKOFF_MAX_SECONDS = 15 * 60
RUN_SECONDS = 120  # a run stops taking new batches after this; the next beat goes on from the cursor


@dataclass
class DeliveryResult:
    delivered: int = 0
    batches: int = 0
    failed: str = ""


def backoff_seconds(failures: int) -> float:
    """5 s, 10 s, 20 s ... up to 15 minutes, each with up to 20 % jitter so many destinations spread out."""
    delay = min(BACKOFF_MAX_SECONDS, BACKOFF_BASE_SECONDS * 2 ** max(0, failures - 1))
    return float(delay * (1 + random.random() / 5))  # noqa: S311 - jitter, not a secret


def due_destination_ids() -> list[int]:
    now = timezone.now()
    due = SiemDestination.objects.filter(enabled=True).filter(Q(next_attempt_at__isnull=True) |
                                                              Q(next_attempt_at__lte=now))  # fmt: skip
    return list(due.order_by("pk").values_list("pk", flat=True))


def _pending(destination: SiemDestination) -> list[AuditEvent]:
    events = AuditEvent.objects.filter(chain=destination.organization.public_id, seq__gt=destination.cursor_seq)
    return list(events.order_by("seq")[: destination.batch_size])


def _advance(destination: SiemDestination, batch: list[AuditEvent]) -> bool:
    """Move the cursor past an acknowledged batch; False when another run moved it meanwhile."""
    last = batch[-1].seq
    assert last is not None  # noqa: S101 - only sequenced events are read
    now = timezone.now()
    with transaction.atomic():
        moved = SiemDestination.objects.filter(pk=destination.pk, cursor_seq=destination.cursor_seq).update(
            cursor_seq=last, delivered=F("delivered") + len(batch), last_success_at=now, last_attempt_at=now
        )
    if moved:
        destination.cursor_seq, destination.delivered = last, destination.delivered + len(batch)
    return bool(moved)


def _failed(destination: SiemDestination, reason: str) -> None:
    with transaction.atomic():
        locked = SiemDestination.objects.select_for_update().filter(pk=destination.pk).first()
        if locked is None:
            return
        locked.consecutive_failures += 1
        locked.last_error, locked.last_attempt_at = reason[:200], timezone.now()
        locked.next_attempt_at = timezone.now() + timedelta(seconds=backoff_seconds(locked.consecutive_failures))
        locked.save(update_fields=["consecutive_failures", "last_error", "last_attempt_at", "next_attempt_at"])
        if locked.consecutive_failures == 1:
            record(actor=None, organization=locked.organization, event_type="siem.delivery.failing",
                   resource=locked.resource_label, resource_id=locked.public_id, outcome=Outcome.ERROR,
                   details={"kind": locked.kind, "reason": reason[:200], "cursor_seq": locked.cursor_seq})  # fmt: skip
    log.warning("siem.delivery_failed", destination=destination.public_id, reason=reason[:200])


def _recovered(destination: SiemDestination) -> None:
    with transaction.atomic():
        locked = SiemDestination.objects.select_for_update().filter(pk=destination.pk).first()
        if locked is None or locked.consecutive_failures == 0:
            return
        failures = locked.consecutive_failures
        locked.consecutive_failures, locked.next_attempt_at, locked.last_error = 0, None, ""
        locked.save(update_fields=["consecutive_failures", "next_attempt_at", "last_error"])
        record(actor=None, organization=locked.organization, event_type="siem.delivery.recovered",
               resource=locked.resource_label, resource_id=locked.public_id,
               details={"kind": locked.kind, "failures": failures, "cursor_seq": locked.cursor_seq})  # fmt: skip


def _unchanged(destination: SiemDestination) -> bool:
    current = SiemDestination.objects.filter(pk=destination.pk).values_list("enabled", "updated_at").first()
    return current is not None and current == (True, destination.updated_at)


def deliver(destination_pk: int, *, run_seconds: float = RUN_SECONDS) -> DeliveryResult:
    """Send what the destination has not acknowledged yet, batch by batch, until caught up or out of time."""
    result = DeliveryResult()
    destination = SiemDestination.objects.select_related("organization").filter(pk=destination_pk).first()
    if destination is None or not destination.enabled:
        return result
    deadline = time.monotonic() + run_seconds
    while time.monotonic() < deadline:
        if not _unchanged(destination):  # paused, removed or reconfigured meanwhile: the next run uses the new
            break
        batch = _pending(destination)
        if not batch:
            break
        events = [(ocsf, to_line(ocsf)) for ocsf in map(to_ocsf, batch)]
        try:
            send(destination, events)
        except DeliveryFailed as exc:
            result.failed = str(exc)
            _failed(destination, result.failed)
            return result
        if not _advance(destination, batch):
            log.info("siem.cursor_moved_elsewhere", destination=destination.public_id)
            break
        result.delivered += len(batch)
        result.batches += 1
    if result.batches:
        _recovered(destination)
    return result
