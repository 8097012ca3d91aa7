"""Many writers at once: every event lands, seq is gapless, the chain verifies."""

from __future__ import annotations

import threading

import pytest
from django.db import close_old_connections, connection

from audit.models import AuditEvent
from audit.services import sequence_chain
from audit.verify_live import verify_chain

WRITERS = 8
EVENTS_PER_WRITER = 40


@pytest.mark.django_db(transaction=True)
def test_eight_concurrent_writers_and_a_concurrent_sequencer(alice_actor):
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers are measured on PostgreSQL (SQLite serialises writers by design)")
    chain = alice_actor.organization.public_id
    from audit.services import record

    errors: list[BaseException] = []
    start = threading.Barrier(WRITERS + 1)
    done = threading.Event()

    def writer(number: int) -> None:
        try:
            start.wait()
            for i in range(EVENTS_PER_WRITER):
                record(actor=alice_actor, event_type="model.inference", details={"writer": number, "i": i})
        except BaseException as exc:
            errors.append(exc)
        finally:
            close_old_connections()
            connection.close()

    def sequencer() -> None:
        try:
            start.wait()
            while not done.is_set():
                sequence_chain(chain, batch_size=25)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
    sequencer_thread = threading.Thread(target=sequencer)
    for thread in [*threads, sequencer_thread]:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    done.set()
    sequencer_thread.join(timeout=120)
    assert not errors, errors

    sequence_chain(chain)
    seqs = list(AuditEvent.objects.filter(chain=chain).order_by("seq").values_list("seq", flat=True))
    assert len(seqs) == WRITERS * EVENTS_PER_WRITER
    assert seqs == list(range(1, len(seqs) + 1))
    pairs = {(e.details["writer"], e.details["i"]) for e in AuditEvent.objects.filter(chain=chain)}
    assert len(pairs) == WRITERS * EVENTS_PER_WRITER
    report = verify_chain(chain)
    assert report.ok, report.reason
    assert report.events == WRITERS * EVENTS_PER_WRITER


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_on_sqlite_also_keep_a_gapless_chain(alice_actor):
    """The embedded default: writers queue on SQLite's write lock; nothing is lost or duplicated."""
    if connection.vendor != "sqlite":
        pytest.skip("the PostgreSQL variant above covers this database")
    from audit.services import record

    chain = alice_actor.organization.public_id
    errors: list[BaseException] = []

    def writer(number: int) -> None:
        try:
            for i in range(10):
                record(actor=alice_actor, event_type="model.inference", details={"writer": number, "i": i})
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    sequence_chain(chain)
    report = verify_chain(chain)
    assert report.ok and report.events == 40
