"""Batched recording: the events of one block written by one INSERT inside the caller's transaction."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext

from audit import canonical
from audit.models import AuditEvent, ChainHead
from audit.services import AuditError, batched, event_content, record, sequence_chain
from audit.verify_live import verify_chain

pytestmark = pytest.mark.django_db


def test_a_batch_writes_its_events_with_one_insert_in_order(alice_actor):
    with CaptureQueriesContext(connection) as queries, transaction.atomic(), batched():
        first = record(actor=alice_actor, event_type="phi.detection", details={"prompt": {"NAME": 2}})
        second = record(actor=alice_actor, event_type="model.inference", resource_id="dep_1")
        third = record(actor=None, organization=alice_actor.organization, event_type="disclosure.recorded")
        assert first.pk is None  # not written yet: the block has not ended
    inserts = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("INSERT INTO audit_auditevent")]
    assert len(inserts) == 1
    assert [first.pk, second.pk, third.pk] == sorted([first.pk, second.pk, third.pk])
    for event in (first, second, third):
        stored = AuditEvent.objects.get(pk=event.pk)
        assert stored.event_id == event.event_id
        assert stored.leaf_hash == canonical.leaf_hash(event_content(stored)).hex()
    chain = alice_actor.organization.public_id
    assert sequence_chain(chain) == 3
    assert list(AuditEvent.objects.filter(chain=chain).order_by("seq").values_list("event_type", flat=True)) == [
        "phi.detection", "model.inference", "disclosure.recorded",
    ]  # fmt: skip
    assert verify_chain(chain).ok


@pytest.mark.django_db(transaction=True)  # no test transaction around it: autocommit, as outside any block
def test_a_batch_needs_the_callers_transaction(alice_actor):
    with pytest.raises(AuditError, match="inside the caller's transaction"), batched():
        record(actor=alice_actor, event_type="model.inference")
    assert not AuditEvent.objects.exists()


def test_a_block_that_raises_writes_nothing(alice_actor):
    with pytest.raises(RuntimeError), transaction.atomic(), batched():
        ChainHead.objects.create(chain="side-effect")
        record(actor=alice_actor, event_type="model.inference")
        raise RuntimeError("the operation failed")
    assert not AuditEvent.objects.exists()
    assert not ChainHead.objects.filter(chain="side-effect").exists()


def test_a_failed_batch_write_fails_the_operation(alice_actor, monkeypatch):
    def broken_insert(db, rows):
        raise DatabaseError("disk full")

    monkeypatch.setattr("audit.services._insert_event", broken_insert)
    written = r"phi\.detection, model\.inference could not be written"
    with pytest.raises(AuditError, match=written), transaction.atomic(), batched():
        ChainHead.objects.create(chain="side-effect")
        record(actor=alice_actor, event_type="phi.detection")
        record(actor=alice_actor, event_type="model.inference")
    monkeypatch.undo()
    assert not ChainHead.objects.filter(chain="side-effect").exists()
    assert not AuditEvent.objects.exists()


def test_a_nested_batch_is_written_by_the_outer_one(alice_actor):
    with transaction.atomic(), batched():
        outer = record(actor=alice_actor, event_type="phi.detection")
        with batched():
            inner = record(actor=alice_actor, event_type="model.inference")
        assert inner.pk is None
    assert outer.pk is not None and inner.pk is not None and outer.pk < inner.pk


def test_an_event_of_a_rolled_back_savepoint_inside_a_batch_goes_with_it(alice_actor):
    with transaction.atomic(), batched():
        kept = record(actor=alice_actor, event_type="phi.detection")
        try:
            with transaction.atomic():  # a savepoint, as active_key's create-on-first-use has
                gone = record(actor=alice_actor, event_type="encryption.key.created")
                raise DatabaseError("created concurrently")
        except DatabaseError:
            pass
        assert gone.pk is not None  # written at once, inside the savepoint
    assert AuditEvent.objects.filter(pk=kept.pk).exists()
    assert not AuditEvent.objects.filter(event_id=gone.event_id).exists()
    assert list(AuditEvent.objects.values_list("event_type", flat=True)) == ["phi.detection"]
