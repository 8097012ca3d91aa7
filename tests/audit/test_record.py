"""Recording events: content, hashing, sequencing, PHI-free details, failing closed, append-only."""

from __future__ import annotations

import itertools

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction

from audit import canonical
from audit.models import AuditEvent, ChainHead
from audit.services import AuditError, event_content, record, sequence_all, sequence_chain
from audit.verify_live import verify_chain
from tests.audit.conftest import write_events

pytestmark = pytest.mark.django_db


def test_record_stores_who_what_where_and_a_leaf_hash(alice_actor):
    event = record(
        actor=alice_actor, event_type="deployment.created", resource="deployment/hipaa-x", resource_id="dep_1"
    )
    stored = AuditEvent.objects.get(pk=event.pk)
    assert stored.chain == alice_actor.organization.public_id
    assert stored.user_id == alice_actor.user.public_id
    assert stored.actor_type == "user"
    assert stored.ip == "10.1.2.3"
    assert stored.request_id == "req-alice-0001"
    assert stored.seq is None
    assert stored.leaf_hash == canonical.leaf_hash(event_content(stored)).hex()


def test_sequencer_assigns_gapless_seq_and_links_the_chain(alice_actor):
    write_events(alice_actor, 5)
    chain = alice_actor.organization.public_id
    assert sequence_chain(chain) == 5
    events = list(AuditEvent.objects.filter(chain=chain).order_by("seq"))
    assert [e.seq for e in events] == [1, 2, 3, 4, 5]
    assert events[0].prev_hash == "00" * 32
    for before, after in itertools.pairwise(events):
        assert after.prev_hash == before.hash
    head = ChainHead.objects.get(chain=chain)
    assert head.size == 5 and head.head_hash == events[-1].hash
    assert sequence_chain(chain) == 0


def test_each_organisation_has_its_own_chain(alice_actor, charlie_actor):
    write_events(alice_actor, 3)
    write_events(charlie_actor, 2)
    assert sequence_all() == 5
    assert verify_chain(alice_actor.organization.public_id).events == 3
    assert verify_chain(charlie_actor.organization.public_id).events == 2


@pytest.mark.parametrize(
    "details",
    [
        {"note": "x" * 201},
        {"blob": b"bytes"},
        {"score": float("nan")},
        {"a": {"b": {"c": {"d": {"e": {"f": 1}}}}}},
    ],
)
def test_details_must_be_small_json_of_types_counts_and_hashes(alice_actor, details):
    with pytest.raises(AuditError):
        record(actor=alice_actor, event_type="phi.detection", details=details)
    assert not AuditEvent.objects.exists()


def test_a_failed_audit_write_fails_the_operation(alice_actor, monkeypatch):
    def broken_insert(db, row):
        raise DatabaseError("disk full")

    monkeypatch.setattr("audit.services._insert_event", broken_insert)
    with pytest.raises(AuditError, match="could not be written"), transaction.atomic():
        ChainHead.objects.create(chain="side-effect")
        record(actor=alice_actor, event_type="deployment.created")
    assert not ChainHead.objects.filter(chain="side-effect").exists()


def test_unknown_outcome_is_refused(alice_actor):
    with pytest.raises(AuditError, match="outcome"):
        record(actor=alice_actor, event_type="x.y", outcome="maybe")


def test_the_database_refuses_updates_and_deletes(sealed_chain):
    event = AuditEvent.objects.filter(chain=sealed_chain).order_by("seq").first()
    assert event is not None
    with pytest.raises((IntegrityError, DatabaseError)), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(event_type="deployment.deleted")
    with pytest.raises((IntegrityError, DatabaseError)), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()
    with pytest.raises((IntegrityError, DatabaseError)), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(seq=999)  # already sequenced: no re-sequencing
    assert AuditEvent.objects.get(pk=event.pk).event_type == "deployment.created"


def test_the_database_refuses_content_changes_while_sequencing(alice_actor):
    event = record(actor=alice_actor, event_type="deployment.created")
    with pytest.raises((IntegrityError, DatabaseError)), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(seq=1, prev_hash="0", hash="0", outcome="denied")


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_postgres_refuses_truncate(sealed_chain):
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("TRUNCATE audit_auditevent CASCADE")


HOSTILE = [
    'quote " backslash \\ slash / done',
    "controls \x01\x08\x0c\n\r\t\x1f and DEL \x7f",
    "unicode: Zoë, Müller, 東京, עברית, emoji 🩺, separators \u2028\u2029",
    "{'not': json}, [brackets], trailing,",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_canonical_text_is_identical_in_python_and_in_the_database(alice_actor, text):
    """The live verifier on PostgreSQL rebuilds the hashed text in SQL; it must match Python byte for byte."""
    import dataclasses

    actor = dataclasses.replace(alice_actor, user_agent=text[:300], ip="2001:db8::1")
    record(actor=actor, event_type="deployment.created", resource=f"deployment/{text}", details={"k": text[:200]})
    chain = alice_actor.organization.public_id
    sequence_chain(chain)
    from audit.verify_live import iter_events

    (row,) = list(iter_events(chain))
    stored = AuditEvent.objects.get(chain=chain)
    assert row[1] == canonical.canonical_text(event_content(stored))
    assert verify_chain(chain).ok


def test_the_guard_names_every_column_of_the_table():
    from audit.db_guard import CONTENT_COLUMNS, SEQUENCER_FIELDS

    columns = {field.column for field in AuditEvent._meta.concrete_fields}
    assert columns == set(CONTENT_COLUMNS) | set(SEQUENCER_FIELDS)


def test_event_ids_sort_by_creation_time_so_the_unique_index_grows_at_its_right_edge(alice_actor, monkeypatch):
    import time

    from core.ids import new_ordered_id

    first = record(actor=alice_actor, event_type="deployment.created").event_id
    ids = [new_ordered_id("evt") for _ in range(200)]
    later = time.time_ns() + 5_000_000  # five milliseconds on
    monkeypatch.setattr("core.ids.time.time_ns", lambda: later)
    last = record(actor=alice_actor, event_type="deployment.created").event_id
    assert first < last and all(i < last for i in ids)
    assert len(set(ids)) == 200
    for event_id in (first, last, *ids):
        prefix, _, body = event_id.partition("_")
        assert prefix == "evt" and len(body) == 20 and set(body) <= set("abcdefghijklmnopqrstuvwxyz234567")
