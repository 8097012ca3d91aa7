"""Investigating the audit log in the console: event-type families, users and deployments by name, names
beside ids, readable details, and the filtered range exported as CSV or JSON lines (audited)."""

from __future__ import annotations

import csv
import io
import json

import pytest

from accessctl.actor import Actor
from audit.models import AuditEvent
from audit.services import record
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def trail(acme, alice):
    """A few events by alice and bob about two deployments."""
    bob = UserFactory.create(username="bob.jones", email="Bob.Jones@acme.example", organization=acme)
    by_alice, by_bob = Actor(organization=acme, user=alice), Actor(organization=acme, user=bob)
    record(actor=by_alice, event_type="auth.login.succeeded")
    record(actor=by_bob, event_type="auth.login.failed", outcome="denied")
    record(actor=by_alice, event_type="model.inference", resource="deployment/triage-bot", resource_id="dep_triage001",
           details={"phi": {"NAME": 2}, "mode": "redact", "deidentified": False})  # fmt: skip
    record(actor=by_bob, event_type="model.inference", resource="deployment/notes", resource_id="dep_notes0001")
    return {"bob": bob}


def shown(response) -> list[str]:
    return [event.event_type for event in response.context["page"]]


def test_an_event_family_by_prefix_or_wildcard(client, alice, trail):
    client.force_login(alice)
    for typed in ("auth.*", "auth.login", "auth."):
        types = shown(client.get("/audit/", {"event_type": typed}))
        assert set(types) >= {"auth.login.succeeded", "auth.login.failed"}, typed
        assert all(t.startswith("auth.") for t in types), typed
    assert shown(client.get("/audit/", {"event_type": "auth.login.failed"})) == ["auth.login.failed"]


def test_users_by_name_or_email_and_deployments_by_name_or_id(client, alice, trail):
    client.force_login(alice)
    bob = trail["bob"]
    for typed in ("bob.jones", "BOB.JONES@acme.example", bob.public_id):
        events = list(client.get("/audit/", {"user": typed}).context["page"])
        assert events and {e.user_id for e in events} == {bob.public_id}, typed
    for typed in ("triage-bot", "dep_triage001"):
        events = list(client.get("/audit/", {"deployment": typed}).context["page"])
        assert [e.resource_id for e in events] == ["dep_triage001"], typed
    missing = client.get("/audit/", {"deployment": "no-such-bot"})
    assert "deployment" in missing.context["form"].errors and list(missing.context["page"]) == []


def test_names_stand_beside_ids_and_details_read_as_rows(client, alice, trail):
    client.force_login(alice)
    html = client.get("/audit/", {"event_type": "model.inference"}).content.decode()
    assert ">bob.jones</a>" in html and ">alice</a>" in html
    assert f'href="?user={trail["bob"].public_id}"' in html  # the actor's timeline
    assert 'href="?deployment=dep_triage001"' in html
    event = AuditEvent.objects.get(resource_id="dep_triage001")
    detail = client.get(f"/audit/events/{event.event_id}").content.decode()
    assert '<th scope="row">phi.NAME</th><td>2</td>' in detail
    assert '<th scope="row">deidentified</th><td>no</td>' in detail
    assert "{'phi'" not in detail  # no raw Python dict


def test_export_is_exactly_the_filtered_range_and_is_audited(client, alice, trail):
    client.force_login(alice)
    response = client.get("/audit/export.csv", {"event_type": "model.*"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert sorted(r["resource_id"] for r in rows) == ["dep_notes0001", "dep_triage001"]
    assert {r["actor_name"] for r in rows} == {"alice", "bob.jones"}
    assert json.loads(next(r for r in rows if r["resource_id"] == "dep_triage001")["details"])["phi"] == {"NAME": 2}
    exported = AuditEvent.objects.filter(event_type="audit.exported").latest("id")
    assert exported.details["format"] == "csv" and exported.details["events"] == 2
    assert exported.details["filters"] == {"event_type": "model.*"}

    lines = client.get("/audit/export.jsonl", {"user": "bob.jones"})
    records = [json.loads(line) for line in b"".join(lines.streaming_content).decode().splitlines()]
    assert records and {r["user_id"] for r in records} == {trail["bob"].public_id}
    assert [r["timestamp"] for r in records] == sorted(r["timestamp"] for r in records)  # oldest first

    assert client.get("/audit/export.csv", {"user": "nobody"}).status_code == 400
    assert client.get("/audit/export.xml").status_code == 404


def test_export_needs_the_export_permission(client, acme, trail):
    from tests.conftest import grant

    reader = UserFactory.create(username="erin", organization=acme)
    grant(reader, acme, "auditor")
    client.force_login(reader)
    assert client.get("/audit/").status_code == 200
    can_export = client.get("/audit/").context["can_export"]
    assert client.get("/audit/export.csv").status_code == (200 if can_export else 403)
