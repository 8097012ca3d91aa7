"""Retention purges an old prefix, keeps the chain verifiable, refuses under legal hold, is audited."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from audit.db_guard import drop_guard, install_guard
from audit.models import AuditEvent
from audit.retention import RetentionRefused, audit_policy_update, retention_purge
from audit.services import checkpoint_create, sequence_chain
from audit.verify_live import verify_chain
from tests.audit.conftest import write_events

pytestmark = pytest.mark.django_db


@pytest.fixture
def aged_chain(alice_actor, monkeypatch):
    """Six events 400 days old, then four new ones; sequenced and checkpointed."""
    chain = alice_actor.organization.public_id
    long_ago = timezone.now() - timedelta(days=400)
    monkeypatch.setattr("audit.services.timezone.now", lambda: long_ago)
    write_events(alice_actor, 6)
    monkeypatch.undo()
    write_events(alice_actor, 4)
    sequence_chain(chain)
    checkpoint_create(chain)
    return chain


def test_purge_removes_the_old_prefix_and_the_rest_still_verifies(aged_chain, alice_actor):
    result = retention_purge(organization=alice_actor.organization)
    assert (result.purged, result.through_seq) == (6, 6)
    remaining = list(
        AuditEvent.objects.filter(chain=aged_chain, seq__isnull=False).order_by("seq").values_list("seq", flat=True)
    )
    assert remaining[:4] == [7, 8, 9, 10]
    purge_event = AuditEvent.objects.get(chain=aged_chain, event_type="audit.retention.purged")
    assert purge_event.details == {"purged": 6, "through_seq": 6, "retention_days": 365}
    report = verify_chain(aged_chain)
    assert report.ok, report.reason
    assert report.first_seq == 7
    assert retention_purge(organization=alice_actor.organization).purged == 0


def test_edit_after_a_purge_is_still_detected(aged_chain, alice_actor):
    from django.db import connection

    retention_purge(organization=alice_actor.organization)
    drop_guard(connection)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditevent SET outcome = 'error' WHERE chain = %s AND seq = 8", [aged_chain])
    install_guard(connection)
    report = verify_chain(aged_chain)
    assert not report.ok and report.failed_seq == 8


def test_forged_anchor_is_detected(aged_chain, alice_actor):
    from audit.models import ChainHead

    retention_purge(organization=alice_actor.organization)
    ChainHead.objects.filter(chain=aged_chain).update(anchor_hash="ee" * 32)
    report = verify_chain(aged_chain)
    assert not report.ok and report.failed_seq == 7


def test_legal_hold_refuses_the_purge_and_says_so_in_the_log(aged_chain, alice_actor):
    audit_policy_update(actor=alice_actor, log_retention_days=365, legal_hold=True, legal_hold_reason="Case 22-104")
    with pytest.raises(RetentionRefused):
        retention_purge(organization=alice_actor.organization)
    assert AuditEvent.objects.filter(chain=aged_chain, seq__lte=6).count() == 6
    assert AuditEvent.objects.filter(chain=aged_chain, event_type="audit.retention.refused").exists()


def test_policy_changes_are_validated_and_audited(alice_actor):
    with pytest.raises(ValueError, match="between"):
        audit_policy_update(actor=alice_actor, log_retention_days=5, legal_hold=False)
    with pytest.raises(ValueError, match="reason"):
        audit_policy_update(actor=alice_actor, log_retention_days=400, legal_hold=True)
    audit_policy_update(actor=alice_actor, log_retention_days=2190, legal_hold=False)
    change = AuditEvent.objects.get(event_type="settings.changed")
    assert change.details["after"] == {"log_retention_days": 2190, "legal_hold": False}


def test_hipaa_mode_keeps_six_years_whatever_the_retention_setting(aged_chain, alice_actor):
    from accessctl.models import SecuritySettings
    from audit.tasks import retention_purge_all

    SecuritySettings.objects.update_or_create(organization=alice_actor.organization, defaults={"hipaa_mode": True})
    assert retention_purge_all() == 0  # 400-day-old events under a 365-day setting: HIPAA keeps them (164.316)
    assert AuditEvent.objects.filter(chain=aged_chain, seq__lte=6).count() == 6
    SecuritySettings.objects.filter(organization=alice_actor.organization).update(hipaa_mode=False)
    assert retention_purge_all() == 6
