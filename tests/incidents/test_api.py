"""REST: open, update along the allowed transitions, notes sealed at rest, thresholds, alerts; 403 and 404."""

from __future__ import annotations

import pytest

from audit.models import AuditEvent
from incidents.models import Alert, DetectionThresholds, Incident, IncidentNote
from tests.conftest import grant
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def as_alice(api_client, alice):
    api_client.force_authenticate(alice)
    return api_client


def open_incident(client, **body):
    response = client.post(
        "/api/v1/incidents", {"title": "Misdirected email", "severity": "high", **body}, format="json"
    )
    assert response.status_code == 201, response.content
    return response.json()


def test_open_list_and_read(as_alice, alice):
    created = open_incident(as_alice, owner_id=alice.public_id)
    assert created["id"].startswith("inc_") and created["status"] == "open"
    assert created["owner_username"] == "alice" and created["allowed_transitions"] == ["investigating", "resolved"]
    listed = as_alice.get("/api/v1/incidents?status=open").json()["results"]
    assert [i["id"] for i in listed] == [created["id"]]
    assert as_alice.get("/api/v1/incidents?status=resolved").json()["results"] == []
    detail = as_alice.get(f"/api/v1/incidents/{created['id']}").json()
    assert detail["timeline"] == [] and detail["assessment"] is None and detail["deadlines"] == []
    event = AuditEvent.objects.get(event_type="incident.opened")
    assert event.resource_id == created["id"] and event.details["severity"] == "high"


@pytest.mark.parametrize(
    ("path", "refused"),
    [
        (["investigating", "contained", "resolved", "reported"], None),
        (["investigating", "contained", "reported"], None),
        (["resolved"], None),
        (["contained"], "contained"),
        (["reported"], "reported"),
        (["investigating", "open"], "open"),
        (["investigating", "contained", "reported", "resolved"], "resolved"),
    ],
)
def test_status_moves_only_along_the_allowed_transitions(as_alice, path, refused):
    incident = open_incident(as_alice)
    for status in path:
        response = as_alice.patch(f"/api/v1/incidents/{incident['id']}", {"status": status}, format="json")
        if status == refused:
            assert response.status_code == 400
            assert "status" in response.json()["errors"]
            break
        assert response.status_code == 200, response.content
        assert response.json()["status"] == status
    changes = AuditEvent.objects.filter(event_type="incident.status_changed").count()
    assert changes == (path.index(refused) if refused else len(path))


def test_owner_must_be_a_member_who_may_manage_incidents(as_alice, acme, bob, charlie):
    incident = open_incident(as_alice)
    url = f"/api/v1/incidents/{incident['id']}"
    for user in (bob, charlie):  # bob lacks incident:manage; charlie is in another organisation
        response = as_alice.patch(url, {"owner_id": user.public_id}, format="json")
        assert response.status_code == 400 and "owner_id" in response.json()["errors"]
    officer = UserFactory.create(username="olivia", organization=acme)
    grant(officer, acme, "compliance-officer")
    response = as_alice.patch(url, {"owner_id": officer.public_id, "severity": "critical"}, format="json")
    assert response.status_code == 200 and response.json()["owner_username"] == "olivia"
    assert response.json()["severity"] == "critical"
    assert as_alice.patch(url, {"owner_id": None}, format="json").json()["owner_id"] is None
    assert AuditEvent.objects.filter(event_type="incident.owner_assigned").count() == 2


def test_notes_are_sealed_at_rest_and_never_audited(as_alice):
    incident = open_incident(as_alice)
    text = "Called John Q. Public at 555-0100 about his HIV test result"
    response = as_alice.post(f"/api/v1/incidents/{incident['id']}/notes", {"text": text}, format="json")
    assert response.status_code == 201
    raw = IncidentNote.objects.values_list("text", flat=True).get()
    assert b"John" not in bytes(raw) and b"HIV" not in bytes(raw)
    assert IncidentNote.objects.get().text == text
    assert as_alice.get(f"/api/v1/incidents/{incident['id']}").json()["notes"][0]["text"] == text
    event = AuditEvent.objects.get(event_type="incident.note_added")
    assert "John" not in str(event.details) and event.details["note_id"] == response.json()["id"]
    empty = as_alice.post(f"/api/v1/incidents/{incident['id']}/notes", {"text": "  "}, format="json")
    assert empty.status_code == 400 and "text" in empty.json()["errors"]


def test_audit_events_can_be_put_on_the_timeline(as_alice, acme, globex):
    incident = open_incident(as_alice)
    ours = AuditEvent.objects.filter(chain=acme.public_id).values_list("event_id", flat=True)[:2]
    theirs = AuditEvent.objects.filter(chain=globex.public_id).values_list("event_id", flat=True)[0]
    url = f"/api/v1/incidents/{incident['id']}/events"
    refused = as_alice.post(url, {"event_ids": [ours[0], theirs]}, format="json")
    assert refused.status_code == 400 and "event_ids" in refused.json()["errors"]
    assert as_alice.post(url, {"event_ids": list(ours)}, format="json").json() == {"added": 2}
    assert as_alice.post(url, {"event_ids": list(ours)}, format="json").json() == {"added": 0}
    timeline = as_alice.get(f"/api/v1/incidents/{incident['id']}").json()["timeline"]
    assert {row["event_id"] for row in timeline} == set(ours)


def test_a_member_without_incident_manage_is_refused(api_client, alice, bob):
    api_client.force_authenticate(alice)
    incident = open_incident(api_client)
    api_client.force_authenticate(bob)
    for method, url, body in [
        ("get", "/api/v1/incidents", None),
        ("post", "/api/v1/incidents", {"title": "x"}),
        ("get", f"/api/v1/incidents/{incident['id']}", None),
        ("patch", f"/api/v1/incidents/{incident['id']}", {"status": "investigating"}),
        ("post", f"/api/v1/incidents/{incident['id']}/notes", {"text": "x"}),
        ("get", "/api/v1/alerts", None),
        ("patch", "/api/v1/incidents/thresholds", {"denial_count": 2}),
    ]:
        response = getattr(api_client, method)(url, body, format="json")
        assert response.status_code == 403, (method, url)
        assert "incident:manage" in response.json()["detail"]
    assert Incident.objects.get().status == "open"
    assert AuditEvent.objects.filter(event_type="access.denied", user_id=bob.public_id).count() == 7


def test_another_organisation_sees_404(api_client, alice, charlie):
    api_client.force_authenticate(alice)
    incident = open_incident(api_client)
    api_client.force_authenticate(charlie)
    assert api_client.get(f"/api/v1/incidents/{incident['id']}").status_code == 404
    assert (
        api_client.patch(f"/api/v1/incidents/{incident['id']}", {"status": "investigating"}, format="json").status_code
        == 404
    )
    assert api_client.get("/api/v1/incidents").json()["results"] == []


def test_thresholds_read_and_change(as_alice, acme):
    assert as_alice.get("/api/v1/incidents/thresholds").json() == {
        "bulk_phi_count": 200,
        "bulk_phi_window_minutes": 10,
        "denial_count": 10,
        "denial_window_minutes": 5,
        "login_failure_count": 5,
        "login_window_minutes": 15,
    }
    changed = as_alice.patch("/api/v1/incidents/thresholds", {"bulk_phi_count": 50}, format="json")
    assert changed.status_code == 200 and changed.json()["bulk_phi_count"] == 50
    assert DetectionThresholds.objects.get(organization=acme).bulk_phi_count == 50
    event = AuditEvent.objects.get(event_type="incident.thresholds_changed")
    assert event.details == {"changed": {"bulk_phi_count": 50}}
    refused = as_alice.patch("/api/v1/incidents/thresholds", {"denial_window_minutes": 0}, format="json")
    assert refused.status_code == 400 and "denial_window_minutes" in refused.json()["errors"]


def test_alerts_are_listed_newest_first(as_alice, acme, globex):
    from django.utils import timezone

    now = timezone.now()
    for org, rule in ((acme, "break_glass"), (acme, "ip_restriction"), (globex, "break_glass")):
        Alert.objects.create(
            organization=org,
            rule=rule,
            severity="low",
            key="k",
            window_start=now,
            window_end=now,
            dedupe_key=f"{rule}:{org.pk}",
        )
    results = as_alice.get("/api/v1/alerts").json()["results"]
    assert [a["rule"] for a in results] == ["ip_restriction", "break_glass"]
    assert [a["rule"] for a in as_alice.get("/api/v1/alerts?rule=break_glass").json()["results"]] == ["break_glass"]
