"""GET /api/v1/audit-logs: the seed's filter, validation, tenancy, permission; POST export."""

from __future__ import annotations

import io
import zipfile
from datetime import timedelta

import pytest
from django.utils import timezone

from accessctl.actor import Actor
from audit.models import AuditEvent
from audit.services import record
from audit.verify import verify_bundle

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"


@pytest.fixture
def acme_events(alice, acme):
    actor = Actor(organization=acme, user=alice, ip="10.0.0.5")
    made = {
        "inference_on_target": record(
            actor=actor, event_type="model.inference", resource="deployment/hipaa-a", resource_id="dep_12345abcde"
        ),
        "phi_on_target": record(
            actor=actor,
            event_type="phi.detection",
            resource="deployment/hipaa-a",
            resource_id="dep_12345abcde",
            details={"types": {"NAME": 1, "DATE": 1}},
        ),
        "other_type_on_target": record(
            actor=actor, event_type="deployment.updated", resource="deployment/hipaa-a", resource_id="dep_12345abcde"
        ),
        "inference_elsewhere": record(
            actor=actor, event_type="model.inference", resource="deployment/research-x", resource_id="dep_99999zzzzz"
        ),
        "second_inference_on_target": record(
            actor=actor, event_type="model.inference", resource="deployment/hipaa-a", resource_id="dep_12345abcde"
        ),
    }
    return made


def ids(response) -> set[str]:
    return {row["id"] for row in response.json()["results"]}


def test_the_seeds_filter_returns_exactly_the_matching_events(api_client, alice, acme_events):
    api_client.force_authenticate(alice)
    now = timezone.now()
    response = api_client.get(
        "/api/v1/audit-logs",
        {
            "start_time": (now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "end_time": (now + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "deployment_id": "dep_12345abcde",
            "event_type": ["model.inference", "phi.detection"],
        },
    )
    assert response.status_code == 200, response.json()
    assert ids(response) == {
        acme_events[name].event_id for name in ("inference_on_target", "phi_on_target", "second_inference_on_target")
    }
    row = next(r for r in response.json()["results"] if r["event_type"] == "phi.detection")
    assert row["deployment_id"] == "dep_12345abcde"
    assert row["user_id"] == alice.public_id
    assert row["details"] == {"types": {"NAME": 1, "DATE": 1}}


def test_time_range_excludes_events_outside_it(api_client, alice, acme_events):
    api_client.force_authenticate(alice)
    future = (timezone.now() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    response = api_client.get("/api/v1/audit-logs", {"start_time": future})
    assert response.status_code == 200
    assert response.json()["results"] == []


def test_comma_separated_event_types_work_too(api_client, alice, acme_events):
    api_client.force_authenticate(alice)
    response = api_client.get("/api/v1/audit-logs", {"event_type": "phi.detection,deployment.updated"})
    assert {row["event_type"] for row in response.json()["results"]} == {"phi.detection", "deployment.updated"}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"start_time": "last tuesday"}, "start_time"),
        ({"end_time": "2023-13-45T00:00:00Z"}, "end_time"),
        ({"start_time": "2023-11-30T00:00:00Z", "end_time": "2023-11-01T00:00:00Z"}, "end_time"),
        ({"deployment_id": "../etc/passwd"}, "deployment_id"),
        ({"event_type": "Model Inference!"}, "event_type.0"),
        ({"outcome": "maybe"}, "outcome"),
        ({"user_id": "12345"}, "user_id"),
    ],
)
def test_bad_filters_get_400_naming_the_field(api_client, alice, params, field):
    api_client.force_authenticate(alice)
    response = api_client.get("/api/v1/audit-logs", params)
    assert response.status_code == 400
    assert response["Content-Type"] == PROBLEM
    assert field in response.json()["errors"]


def test_results_are_scoped_to_the_callers_organisation(api_client, charlie, acme_events):
    api_client.force_authenticate(charlie)
    response = api_client.get("/api/v1/audit-logs", {"deployment_id": "dep_12345abcde"})
    assert response.status_code == 200
    assert response.json()["results"] == []


def test_reading_needs_audit_read_and_a_refusal_is_audited(api_client, bob, acme):
    api_client.force_authenticate(bob)
    response = api_client.get("/api/v1/audit-logs")
    assert response.status_code == 403
    assert "audit:read" in response.json()["detail"]
    denied = AuditEvent.objects.get(event_type="access.denied", user_id=bob.public_id)
    assert denied.outcome == "denied"
    assert denied.details == {"permission": "audit:read"}


def test_pages_follow_a_cursor(api_client, alice, acme_events):
    api_client.force_authenticate(alice)
    seen: set[str] = set()
    url: str | None = "/api/v1/audit-logs?page_size=2"
    while url:
        page = api_client.get(url).json()
        assert len(page["results"]) <= 2
        seen |= {row["id"] for row in page["results"]}
        url = page["next"]
    assert {e.event_id for e in acme_events.values()} <= seen


def test_export_downloads_a_bundle_that_verifies(api_client, alice, acme_events, tmp_path):
    api_client.force_login(alice)
    response = api_client.post("/api/v1/audit-logs/export")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    archive = tmp_path / "bundle.zip"
    archive.write_bytes(b"".join(response.streaming_content))
    with zipfile.ZipFile(io.BytesIO(archive.read_bytes())) as bundle:
        assert set(bundle.namelist()) == {"manifest.json", "events.log", "checkpoints.jsonl", "public_keys.json"}
    report = verify_bundle(archive)
    assert report.ok, report.reason
    assert report.events >= 5
    assert AuditEvent.objects.filter(event_type="audit.exported", user_id=alice.public_id).count() == 1


def test_export_needs_audit_export(api_client, bob):
    api_client.force_authenticate(bob)
    assert api_client.post("/api/v1/audit-logs/export").status_code == 403
