"""Each detection rule fires on a crafted audit sequence, stays quiet on normal traffic, and alerts once a burst."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection

from audit.db_guard import drop_guard, install_guard
from audit.models import AuditEvent
from audit.services import sequence_chain
from deployments.models import CatalogModel, Deployment
from incidents.detection import detect_organization
from incidents.models import Alert, DetectionCursor, Incident
from incidents.rules import bursts
from incidents.tasks import detect_all

pytestmark = pytest.mark.django_db


def alerts(rule: str | None = None) -> list[Alert]:
    queryset = Alert.objects.order_by("id")
    return list(queryset.filter(rule=rule) if rule else queryset)


def inferences(write, actor, start, count, spacing=timedelta(seconds=20)):
    for i in range(count):
        write(
            start + i * spacing,
            actor,
            "model.inference",
            resource="deployment/ward",
            details={"prompt_tokens": 10, "completion_tokens": 5},
        )


def test_bursts_finds_runs_of_dense_windows():
    minute = timedelta(minutes=1)
    base = __import__("datetime").datetime(2026, 1, 1, 12, 0)
    times = [base + k * minute for k in (0, 1, 2, 30, 31, 60)]
    assert bursts(times, 3, 5 * minute) == [(0, 2)]
    assert bursts(times, 2, 5 * minute) == [(0, 2), (3, 4)]
    assert bursts(times, 1, 60 * minute) == [(0, 5)]
    assert bursts(times, 4, 5 * minute) == []


def test_normal_traffic_raises_nothing(acme, alice_actor, bob_actor, thresholds, write, t0):
    inferences(write, alice_actor, t0, 4)  # under 5 in 10 minutes
    inferences(write, bob_actor, t0, 6, spacing=timedelta(minutes=3))  # 6, but spread over 15 minutes
    write(t0, bob_actor, "access.denied", outcome="denied", details={"permission": "audit:read"})
    write(t0 + timedelta(minutes=1), bob_actor, "access.denied", outcome="denied", details={"permission": "audit:read"})
    write(t0, None, "auth.login.failed", user=alice_actor.user, outcome="denied")
    write(t0 + timedelta(minutes=1), alice_actor, "auth.login.succeeded")
    write(t0, alice_actor, "deployment.created", resource="deployment/ward", details={"break_glass": False})
    assert detect_organization(acme) == []
    assert not Alert.objects.exists() and not Incident.objects.exists()


def test_bulk_phi_access_alerts_once_and_opens_an_incident(acme, alice_actor, thresholds, write, t0):
    inferences(write, alice_actor, t0, 5)
    created = detect_organization(acme)
    assert [a.rule for a in created] == ["bulk_phi_access"]
    alert = created[0]
    assert (alert.key, alert.severity, alert.event_count) == (f"actor:{alice_actor.user.public_id}", "high", 5)
    assert alert.incident is not None and alert.incident.severity == "high" and alert.incident.source == "detection"
    assert alert.incident.timeline.count() == 5
    types = set(AuditEvent.objects.filter(chain=acme.public_id).values_list("event_type", flat=True))
    assert {"incident.alert", "incident.opened", "incident.alert_attached"} <= types

    assert detect_organization(acme) == []  # nothing new
    inferences(write, alice_actor, t0 + timedelta(minutes=2), 3)  # the same burst goes on
    assert detect_organization(acme) == []
    alert.refresh_from_db()
    assert alert.event_count == 8 and len(alerts()) == 1
    DetectionCursor.objects.filter(chain=acme.public_id).update(last_seq=0)  # rescan everything
    assert detect_organization(acme) == [] and len(alerts()) == 1
    assert alert.incident.timeline.count() == 8


def test_a_later_burst_by_the_same_actor_joins_the_open_incident(acme, alice_actor, thresholds, write, t0):
    inferences(write, alice_actor, t0, 5)
    detect_organization(acme)
    inferences(write, alice_actor, t0 + timedelta(hours=1), 5)
    created = detect_organization(acme)
    assert len(created) == 1 and len(alerts("bulk_phi_access")) == 2
    assert Incident.objects.count() == 1 and created[0].incident == alerts()[0].incident


def test_access_from_outside_the_ip_restrictions(acme, alice_actor, write, t0):
    outside = alice_actor.__class__(organization=acme, user=alice_actor.user, ip="203.0.113.9")
    write(t0, outside, "access.denied", outcome="denied", details={"reason": "ip_restriction"})
    write(t0 + timedelta(minutes=2), outside, "access.denied", outcome="denied", details={"reason": "ip_restriction"})
    write(t0, alice_actor, "access.denied", outcome="denied", details={"permission": "role:manage"})
    created = detect_organization(acme)
    assert [(a.rule, a.key, a.severity, a.event_count) for a in created] == [
        ("ip_restriction", "ip:203.0.113.9", "medium", 2)
    ]
    assert created[0].incident is not None
    assert detect_organization(acme) == []


def test_repeated_denials_by_an_actor_and_by_an_address(acme, bob_actor, thresholds, write, t0, anonymous_request):
    for i in range(3):
        write(
            t0 + timedelta(seconds=30 * i),
            bob_actor,
            "access.denied",
            outcome="denied",
            details={"permission": "audit:read"},
        )
        write(
            t0 + timedelta(seconds=30 * i),
            None,
            "access.denied",
            outcome="denied",
            request=anonymous_request("198.51.100.7"),
            details={"reason": "csrf"},
        )
    created = detect_organization(acme)
    keys = sorted((a.rule, a.key) for a in created)
    assert keys == [("repeated_denials", f"actor:{bob_actor.user.public_id}"), ("repeated_denials", "ip:198.51.100.7")]
    assert all(a.severity == "medium" and a.incident is not None for a in created)
    assert detect_organization(acme) == []


def test_failed_sign_ins_then_a_success(acme, alice, alice_actor, bob, bob_actor, thresholds, write, t0):
    for i in range(3):
        write(t0 + timedelta(minutes=i), None, "auth.login.failed", user=alice, outcome="denied")
    write(t0 + timedelta(minutes=5), alice_actor, "auth.login.succeeded")
    # bob: the failures are older than the window before his success
    for i in range(3):
        write(t0 + timedelta(minutes=i), None, "auth.login.failed", user=bob, outcome="denied")
    write(t0 + timedelta(minutes=40), bob_actor, "auth.login.succeeded")
    created = detect_organization(acme)
    assert [(a.rule, a.key, a.severity) for a in created] == [
        ("login_failed_then_succeeded", f"user:{alice.public_id}", "high")
    ]
    assert created[0].details["failures"] == 3 and created[0].event_count == 4
    write(t0 + timedelta(minutes=6), alice_actor, "auth.login.succeeded")  # a second session right after
    assert detect_organization(acme) == [] and len(alerts()) == 1


def test_break_glass_use_is_one_low_alert_per_grant(acme, alice_actor, write, t0):
    write(t0, alice_actor, "emergency_access.granted", resource="deployment/ward", resource_id="ear_grant1")
    write(
        t0 + timedelta(minutes=1),
        alice_actor,
        "model.inference",
        resource="deployment/ward",
        details={"break_glass": True, "grant_id": "ear_grant1"},
    )
    created = detect_organization(acme)
    assert [(a.rule, a.key, a.severity, a.event_count) for a in created] == [
        ("break_glass", "grant:ear_grant1", "low", 2)
    ]
    assert created[0].incident is None  # low: reviewed through the grant's post-use review, no incident
    write(
        t0 + timedelta(minutes=2),
        alice_actor,
        "emergency_access.used",
        resource_id="ear_grant1",
        details={"grant_id": "ear_grant1"},
    )
    assert detect_organization(acme) == []
    assert alerts("break_glass")[0].event_count == 3


def _tamper(sql: str, params: list[int]) -> None:
    drop_guard(connection)
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
    finally:
        install_guard(connection)


def test_audit_verification_failure_of_new_events(acme, alice_actor, write, t0):
    assert detect_organization(acme) == []  # the chain so far verifies
    for i in range(3):
        write(t0 + timedelta(seconds=i), alice_actor, "deployment.updated", resource=f"deployment/d{i}")
    sequence_chain(acme.public_id)
    victim = AuditEvent.objects.filter(chain=acme.public_id).order_by("-seq")[1]
    _tamper("UPDATE audit_auditevent SET outcome = 'denied' WHERE id = %s", [victim.pk])
    created = detect_organization(acme)
    assert [(a.rule, a.severity, a.details["failed_seq"]) for a in created] == [
        ("audit_verification", "critical", victim.seq)
    ]
    assert "edited" in created[0].details["reason"]
    assert created[0].incident is not None and created[0].incident.severity == "critical"
    DetectionCursor.objects.filter(chain=acme.public_id).update(last_seq=0, full_verified_at=None)
    assert detect_organization(acme) == []  # the incremental and the full verification agree: one alert


def test_a_reported_verification_failure_alerts(acme, write, t0):
    write(t0, None, "audit.verify_live.failed", outcome="error", details={"failed_seq": 12})
    created = detect_organization(acme)
    assert [(a.rule, a.severity) for a in created] == [("audit_verification", "critical")]


class FakeProvider:
    def __init__(self, answer: str) -> None:
        self.answer = answer

    def status(self, deployment):
        return self.answer


def _stopped(acme, name, provider, **extra):
    return Deployment.objects.create(
        organization=acme,
        name=name,
        model=CatalogModel.objects.get(name="ZimaBlueAI/HuatuoGPT-o1-8B"),
        provider=provider,
        compute_type="cpu",
        state="stopped",
        endpoint_url="http://127.0.0.1:9",
        **extra,
    )


def test_a_stopped_deployment_that_still_answers(acme, monkeypatch):
    local = _stopped(acme, "still-up", "local", provider_state={"pid": 4242, "port": 18080})
    _stopped(acme, "gone", "local", provider_state={"pid": 4343, "port": 18081})
    external = _stopped(acme, "vendor", "external")
    monkeypatch.setattr("deployments.providers.local.is_ours", lambda pid, port: pid == 4242)
    monkeypatch.setattr("deployments.providers.provider_for", lambda name: FakeProvider("running"))
    created = detect_organization(acme)
    found = {a.key: a.severity for a in created if a.rule == "deprovisioned_answering"}
    assert found == {f"deployment:{external.public_id}": "low", f"deployment:{local.public_id}": "high"}
    DetectionCursor.objects.filter(chain=acme.public_id).update(deployments_checked_at=None)
    assert detect_organization(acme) == []  # each deployment alerts once


def test_stopped_deployments_that_are_gone_stay_quiet(acme, monkeypatch):
    _stopped(acme, "gone", "local", provider_state={"pid": 4343, "port": 18081})
    _stopped(acme, "vendor", "external")
    monkeypatch.setattr("deployments.providers.local.is_ours", lambda pid, port: False)
    monkeypatch.setattr("deployments.providers.provider_for", lambda name: FakeProvider("not answering"))
    assert detect_organization(acme) == []


def test_the_beat_task_scans_every_organisation_separately(acme, globex, alice_actor, thresholds, write, t0):
    inferences(write, alice_actor, t0, 5)
    assert detect_all() == 1
    assert Alert.objects.get().organization == acme
    assert DetectionCursor.objects.filter(chain__in=[acme.public_id, globex.public_id]).count() == 2
