"""A delivery worker SIGKILLed mid-delivery (the whole worker, or the pool process running the task), while the
collector on loopback holds its answer to a batch it has already received: the cursor stays before that batch,
the beat's next run (a new worker, or the redelivered message) takes over the dead lease and sends it again, and
in the end every event of the organisation has arrived, in chain order, repeated only by event id, and only
those of the unacknowledged batch."""

from __future__ import annotations

import json
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from accessctl.actor import Actor
from audit.models import AuditEvent
from audit.services import record, sequence_chain
from core.models import JobRun, RunStatus
from siem import tasks
from siem.models import SiemDestination
from siem.services import destination_create
from siem.validation import DestinationInput
from tests.hardening.workers import MODES, Workers, crash, recover, redirect_to, start_worker, wait_for
from tests.siem.ocsf_schema import ocsf_problems

BATCH = 10
HELD_BATCH = 4
BEAT_INTERVAL = 2.0  # the delivery beat's interval in this test (production: PAITIENT_SIEM_DELIVERY_SECONDS)


@pytest.fixture
def workers() -> Any:
    pool = Workers(Path(settings.VAR_DIR))
    yield pool
    pool.close()


def write(actor: Actor, count: int, start: int) -> None:
    for i in range(start, start + count):
        record(actor=actor, event_type="model.inference", resource="deployment/icu", resource_id=f"dep_{i:06d}",
               details={"index": i, "types": {"NAME": 1}})  # fmt: skip
    sequence_chain(actor.organization.public_id)


def chain(organization: Any) -> list[tuple[str, int]]:
    rows = AuditEvent.objects.filter(chain=organization.public_id, seq__isnull=False).order_by("seq")
    return [(event_id, int(seq or 0)) for event_id, seq in rows.values_list("event_id", "seq")]


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("mode", MODES)
def test_every_event_arrives_in_order_after_a_worker_is_killed_mid_delivery(
    workers, monkeypatch, acme, alice, collector, loopback_allowed, mode
):
    monkeypatch.setenv("PAITIENT_EXTERNAL_ALLOW_PRIVATE_NETWORKS", "1")  # the workers': the collector is on loopback
    actor = Actor(organization=acme, user=alice, ip="203.0.113.20", request_id="req-crash")
    write(actor, 80, 0)
    destination = destination_create(actor=actor, data=DestinationInput(
        name="collector", kind="https", url=collector.url, token=collector.token, ca_pem=collector.ca_pem,
        batch_size=BATCH))  # fmt: skip
    sequence_chain(acme.public_id)
    collector.hold_batch = HELD_BATCH
    worker = start_worker(workers, mode)
    redirect_to(monkeypatch, tasks.deliver_destination, workers.queue)

    assert tasks.deliver_due() == 1  # the beat
    wait_for(collector.holding.is_set, 120, "the collector to hold a batch", then=workers.logs)
    held = SiemDestination.objects.get(pk=destination.pk)
    assert held.cursor_seq == (HELD_BATCH - 1) * BATCH  # three batches acknowledged, the fourth not yet
    retake = crash(worker, mode, tasks.deliver_destination, destination.pk)
    collector.release.set()  # the answer goes to a dead worker: the batch was received, never acknowledged
    write(actor, 25, 80)  # the organisation goes on meanwhile
    recover(workers, mode, retake)

    last_beat = [0.0]

    def delivered_all() -> bool:
        if time.monotonic() - last_beat[0] >= BEAT_INTERVAL:
            last_beat[0] = time.monotonic()
            sequence_chain(acme.public_id)  # the sequencer's beat
            tasks.deliver_due()  # the delivery beat
        current = SiemDestination.objects.get(pk=destination.pk)
        return bool(current.cursor_seq == len(chain(acme)) and current.consecutive_failures == 0)

    wait_for(delivered_all, 180, "every event to be acknowledged", interval=0.2, then=workers.logs)

    expected = chain(acme)
    received = collector.received.events()
    ids = [event["metadata"]["uid"] for event in received]
    first_seen = list(dict.fromkeys(ids))
    assert first_seen == [event_id for event_id, _ in expected]  # every event, in chain order
    repeats = {event_id: n for event_id, n in Counter(ids).items() if n > 1}
    held_batch = [event["metadata"]["uid"] for event in collector.received.batches[HELD_BATCH - 1]]
    assert set(repeats) == set(held_batch) and set(repeats.values()) == {2}, repeats  # only the unacknowledged
    by_id: dict[str, str] = {}
    for event in received:  # a repeat is the same event, byte for byte
        line = json.dumps(event, sort_keys=True)
        assert by_id.setdefault(event["metadata"]["uid"], line) == line
    sequences = [event["metadata"]["sequence"] for event in received]
    restart = sequences.index(sequences[HELD_BATCH * BATCH], HELD_BATCH * BATCH)
    assert sequences[:restart] == sorted(sequences[:restart]) and sequences[restart:] == sorted(sequences[restart:])
    assert all(ocsf_problems(event) == [] for event in received[:: max(1, len(received) // 20)])
    # The dead worker's lease was taken over; deliveries the beat (or, on Redis, the restored message) still queued
    # find nothing left to send and end.
    run = wait_for(lambda: JobRun.objects.filter(kind=tasks.deliver_destination.name, object_id=destination.pk,
                                                 status=RunStatus.DONE).first(), 60, "the last run to end",
                   then=workers.logs)  # fmt: skip
    assert run.attempts >= 2 and run.holder == "", run
