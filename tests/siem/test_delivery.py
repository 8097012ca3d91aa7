"""Delivery to collectors on loopback: batches in chain order, the cursor moved only on acknowledgement, backoff
after a failure (audited once), recovery (audited), syslog framing, and the egress guard at send time."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from audit.services import record, sequence_chain
from siem import delivery, tasks
from siem.delivery import backoff_seconds, deliver, due_destination_ids
from siem.models import SiemDestination
from siem.services import destination_create
from siem.validation import DestinationInput
from tests.siem.ocsf_schema import ocsf_problems

pytestmark = pytest.mark.django_db


def write(actor, count, *, event_type="deployment.updated"):
    events = [record(actor=actor, event_type=event_type, resource=f"deployment/d{i}", resource_id=f"dep_{i:06d}",
                     details={"index": i}) for i in range(count)]  # fmt: skip
    sequence_chain(actor.organization.public_id)
    return events


def https_destination(admin, collector, **overrides):
    data = DestinationInput(name="splunk", kind="https", url=collector.url, token=collector.token,
                            ca_pem=collector.ca_pem, batch_size=overrides.pop("batch_size", 10))  # fmt: skip
    return destination_create(actor=admin, data=data, **overrides)


def chain_ids(organization):
    rows = AuditEvent.objects.filter(chain=organization.public_id, seq__isnull=False).order_by("seq")
    return list(rows.values_list("event_id", flat=True))


def test_every_event_arrives_in_order_in_batches_and_the_cursor_follows(loopback_allowed, admin, collector, acme):
    write(admin, 35)
    destination = https_destination(admin, collector)
    sequence_chain(acme.public_id)  # the destination's own creation event too
    result = deliver(destination.pk)
    expected = chain_ids(acme)
    assert collector.received.ids() == expected
    batches = -(-len(expected) // 10)  # the fixtures' events, the 35 and the destination's creation; 10 a batch
    assert result.delivered == len(expected) and result.batches == batches
    assert [len(b) for b in collector.received.batches] == [10] * (batches - 1) + [len(expected) - 10 * (batches - 1)]
    assert collector.received.authorizations == [f"Bearer {collector.token}"] * batches
    assert all(ocsf_problems(event) == [] for event in collector.received.events())
    destination.refresh_from_db()
    assert destination.cursor_seq == len(expected) and destination.delivered == len(expected)
    assert destination.last_success_at is not None and destination.consecutive_failures == 0
    assert deliver(destination.pk).delivered == 0  # caught up: nothing sent again
    assert len(collector.received.batches) == batches


def test_a_refused_batch_keeps_the_cursor_backs_off_and_is_sent_again(loopback_allowed, admin, collector, acme):
    write(admin, 5)
    destination = https_destination(admin, collector)
    sequence_chain(acme.public_id)
    collector.status = 503
    result = deliver(destination.pk)
    assert result.delivered == 0 and "503" in result.failed
    destination.refresh_from_db()
    assert destination.cursor_seq == 0 and destination.consecutive_failures == 1
    assert destination.last_error == "the collector answered HTTP 503"
    assert timezone.now() + timedelta(seconds=4) < destination.next_attempt_at < timezone.now() + timedelta(seconds=7)
    assert destination.pk not in due_destination_ids()  # waiting out its backoff
    deliver(destination.pk)  # a second failure: audited once, backoff grows
    destination.refresh_from_db()
    assert destination.consecutive_failures == 2
    failing = AuditEvent.objects.filter(event_type="siem.delivery.failing", resource_id=destination.public_id)
    assert failing.count() == 1 and failing.get().details["reason"] == "the collector answered HTTP 503"

    collector.status = 200
    SiemDestination.objects.filter(pk=destination.pk).update(next_attempt_at=timezone.now())
    assert destination.pk in due_destination_ids()
    sequence_chain(acme.public_id)
    deliver(destination.pk)
    destination.refresh_from_db()
    assert destination.consecutive_failures == 0 and destination.next_attempt_at is None
    assert (
        AuditEvent.objects.filter(event_type="siem.delivery.recovered", resource_id=destination.public_id).count() == 1
    )
    sequence_chain(acme.public_id)
    deliver(destination.pk)  # the failing and recovered events themselves go out too
    assert collector.received.ids() == chain_ids(acme)


def test_a_wrong_token_is_a_failure_not_a_delivery(loopback_allowed, admin, collector, acme):
    write(admin, 3)
    destination = https_destination(admin, collector)
    collector.token = "rotated-on-the-collector"
    assert deliver(destination.pk).failed == "the collector answered HTTP 401"
    destination.refresh_from_db()
    assert destination.cursor_seq == 0


def test_backoff_doubles_up_to_fifteen_minutes():
    assert 5 <= backoff_seconds(1) <= 6
    assert 10 <= backoff_seconds(2) <= 12
    assert 40 <= backoff_seconds(4) <= 48
    assert 900 <= backoff_seconds(30) <= 1080


def test_the_guard_refuses_loopback_at_send_time_unless_allowed(loopback_allowed, admin, collector, acme, settings):
    write(admin, 2)
    destination = https_destination(admin, collector)
    settings.PAITIENT_EXTERNAL_ALLOW_PRIVATE_NETWORKS = False  # the operator turned it off afterwards
    result = deliver(destination.pk)
    assert result.failed.startswith("could not reach the collector") and collector.received.batches == []


def test_an_untrusted_certificate_is_refused(loopback_allowed, admin, collector, acme):
    write(admin, 2)
    destination = https_destination(admin, collector)
    SiemDestination.objects.filter(pk=destination.pk).update(ca_pem="")
    assert deliver(destination.pk).failed == "could not reach the collector (ConnectError)"
    assert collector.received.batches == []


def test_start_now_sends_only_what_comes_after(loopback_allowed, admin, collector, acme):
    earlier = write(admin, 4)
    destination = https_destination(admin, collector, start="now")
    assert destination.cursor_seq == len(chain_ids(acme))
    later = write(admin, 2, event_type="model.inference")
    deliver(destination.pk)
    ids = collector.received.ids()
    assert ids == chain_ids(acme)[destination.cursor_seq :]  # its creation (and the first sealed value's key)...
    assert ids[-2:] == [e.event_id for e in later]  # ...then the two
    assert not {e.event_id for e in earlier} & set(ids)


def test_only_sequenced_events_of_the_destinations_organisation_go(loopback_allowed, admin, collector, acme, charlie):
    from accessctl.actor import Actor

    globex_actor = Actor(organization=charlie.memberships.first().organization, user=charlie)
    write(globex_actor, 3)
    write(admin, 2)
    destination = https_destination(admin, collector)
    unsequenced = record(actor=admin, event_type="deployment.updated")
    deliver(destination.pk)
    ids = collector.received.ids()
    assert unsequenced.event_id not in ids
    assert {e["metadata"]["tenant_uid"] for e in collector.received.events()} == {acme.public_id}


def test_syslog_over_tls_frames_each_event(loopback_allowed, admin, syslog, acme):
    write(admin, 7)
    data = DestinationInput(name="rsyslog", kind="syslog", host="127.0.0.1", port=syslog.port, ca_pem=syslog.ca_pem,
                            batch_size=3)  # fmt: skip
    destination = destination_create(actor=admin, data=data)
    sequence_chain(acme.public_id)
    assert deliver(destination.pk).delivered == len(chain_ids(acme))
    messages = syslog.messages()
    assert [event["metadata"]["uid"] for _, event in messages] == chain_ids(acme)
    header, event = messages[0]
    assert header.startswith(b"<110>1 ")  # facility 13 (log audit), severity 6 (informational)
    assert header.split(b" ")[2:6] == [b"paitient", b"paitient-audit", b"-", event["metadata"]["uid"].encode()]
    assert all(ocsf_problems(e) == [] for _, e in messages)
    destination.refresh_from_db()
    assert destination.cursor_seq == len(chain_ids(acme))


def test_syslog_receiver_gone_is_a_failure(loopback_allowed, admin, acme):
    from tests.siem.collectors import free_port

    write(admin, 1)
    data = DestinationInput(name="gone", kind="syslog", host="127.0.0.1", port=free_port())
    destination = destination_create(actor=admin, data=data)
    assert deliver(destination.pk).failed == "could not reach the syslog receiver (ConnectionRefusedError)"


def test_the_beat_queues_each_due_destination_and_the_task_takes_its_lease(
    loopback_allowed, admin, collector, acme, monkeypatch
):
    write(admin, 3)
    destination = https_destination(admin, collector)
    paused = destination_create(actor=admin, data=DestinationInput(
        name="paused", kind="https", url=collector.url, token="t", ca_pem=collector.ca_pem, enabled=False))  # fmt: skip
    sequence_chain(acme.public_id)
    queued = []
    monkeypatch.setattr(tasks.deliver_destination, "delay", lambda pk: queued.append(pk))
    assert tasks.deliver_due() == 1 and queued == [destination.pk]
    assert paused.pk not in due_destination_ids()
    assert tasks.deliver_destination(destination.pk) == len(chain_ids(acme))
    from core.models import JobRun, RunStatus

    run = JobRun.objects.get(kind="siem.tasks.deliver_destination", object_id=destination.pk)
    assert run.status == RunStatus.DONE


def test_the_beat_schedule_has_the_delivery():
    from portal.celery import app

    entry = app.conf.beat_schedule["siem-deliver"]
    assert entry["task"] == "siem.tasks.deliver_due" and entry["schedule"] == 10.0


def test_a_run_stops_when_its_time_is_up(loopback_allowed, admin, collector, acme):
    write(admin, 30)
    destination = https_destination(admin, collector)
    sequence_chain(acme.public_id)
    assert delivery.deliver(destination.pk, run_seconds=0).batches == 0
    destination.refresh_from_db()
    assert destination.cursor_seq == 0


def test_a_change_during_a_run_stops_it_and_never_moves_the_cursor_back(
    loopback_allowed, admin, collector, acme, monkeypatch
):
    from siem.services import destination_update

    write(admin, 30)
    destination = https_destination(admin, collector)
    stale = SiemDestination.objects.get(pk=destination.pk)  # as an admin's form loaded it, before any delivery
    sequence_chain(acme.public_id)
    sent = []

    def send_then_pause(target, events):
        sent.append(len(events))
        if len(sent) == 1:  # the admin pauses it while the first batch is on its way
            destination_update(actor=admin, destination=stale, data=DestinationInput(
                name="splunk", kind="https", url=collector.url, ca_pem=collector.ca_pem, batch_size=10,
                enabled=False))  # fmt: skip

    monkeypatch.setattr(delivery, "send", send_then_pause)
    result = deliver(destination.pk)
    assert result.batches == 1 and sent == [10]
    destination.refresh_from_db()
    assert destination.cursor_seq == 10 and not destination.enabled and destination.token == collector.token
    assert deliver(destination.pk).batches == 0  # paused
