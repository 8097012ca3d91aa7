"""On PostgreSQL, large chains are verified by several processes; failures keep their exact position."""

from __future__ import annotations

import pytest
from django.db import connection

from audit.db_guard import drop_guard, install_guard
from audit.services import checkpoint_create, sequence_chain
from audit.verify_live import verify_chain
from tests.audit.conftest import write_events

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def big_chain(alice_actor, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("the parallel verifier is for PostgreSQL; SQLite chains verify in one process")
    monkeypatch.setattr("audit.verify_live.PARALLEL_MIN_EVENTS", 10)
    write_events(alice_actor, 40)
    chain = alice_actor.organization.public_id
    sequence_chain(chain)
    checkpoint_create(chain)
    write_events(alice_actor, 5)  # a tail after the checkpoint
    sequence_chain(chain)
    return chain


def tamper(sql: str, params: list[str | int]) -> None:
    drop_guard(connection)
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
    finally:
        install_guard(connection)


def test_parallel_verification_passes_an_untouched_chain(big_chain):
    report = verify_chain(big_chain, workers=3)
    assert report.ok, report.reason
    assert (report.events, report.first_seq, report.last_seq, report.checkpoints) == (45, 1, 45, 1)


@pytest.mark.parametrize("seq", [2, 16, 31, 44])
def test_an_edit_in_any_segment_is_found_at_its_seq(big_chain, seq):
    tamper("UPDATE audit_auditevent SET outcome = 'error' WHERE chain = %s AND seq = %s", [big_chain, seq])
    report = verify_chain(big_chain, workers=3)
    assert not report.ok and report.failed_seq == seq and "edited" in report.reason


def test_a_deletion_at_a_segment_boundary_is_found(big_chain):
    tamper("DELETE FROM audit_auditevent WHERE chain = %s AND seq = 16", [big_chain])
    report = verify_chain(big_chain, workers=3)
    assert not report.ok and report.failed_seq == 16


def test_a_forged_event_appended_past_the_head_is_found(big_chain):
    tamper(
        "INSERT INTO audit_auditevent (event_id, chain, seq, timestamp, actor_type, actor_id, user_id, api_key_id,"
        " user_agent, request_id, event_type, resource, resource_id, outcome, details, leaf_hash, prev_hash, hash)"
        " SELECT 'evt_forged', chain, 46, timestamp, actor_type, actor_id, user_id, api_key_id, user_agent,"
        " request_id, event_type, resource, resource_id, outcome, details, leaf_hash, hash, hash"
        " FROM audit_auditevent WHERE chain = %s AND seq = 45",
        [big_chain],
    )
    report = verify_chain(big_chain, workers=2)
    assert not report.ok and report.failed_seq == 46
