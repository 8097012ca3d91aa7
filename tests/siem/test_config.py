"""Configuring SIEM destinations over REST and in the console: field errors all at once, the token sealed and never
shown, every change audited, the SSRF guard on the collector's host, permissions and tenancy; and the OCSF pull."""

from __future__ import annotations

import json

import pytest
from django.db import connection

from accessctl.models import User
from audit.models import AuditEvent
from audit.services import record, sequence_chain
from siem.models import SiemDestination
from tests.conftest import grant
from tests.factories import UserFactory
from tests.siem.ocsf_schema import ocsf_problems

pytestmark = pytest.mark.django_db

API = "/api/v1/siem/destinations"
TOKEN = "sk-collector-Zq81-secret"


def https_body(collector, **overrides):
    return {"name": "splunk", "kind": "https", "url": collector.url, "token": TOKEN, "ca_pem": collector.ca_pem,
            **overrides}  # fmt: skip


def test_an_admin_adds_a_collector_the_token_is_sealed_and_never_shown(
    api_client, alice, acme, collector, loopback_allowed
):
    api_client.force_authenticate(alice)
    response = api_client.post(API, https_body(collector, batch_size=200), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["has_token"] is True and "token" not in body and body["batch_size"] == 200
    assert body["cursor_seq"] == 0 and body["behind"] >= 0
    assert TOKEN not in response.content.decode()
    assert TOKEN not in api_client.get(API).content.decode()
    assert TOKEN not in api_client.get(f"{API}/{body['id']}").content.decode()

    destination = SiemDestination.objects.get(public_id=body["id"])
    assert destination.token == TOKEN  # opens for the organisation
    with connection.cursor() as cursor:
        cursor.execute("SELECT token FROM siem_siemdestination WHERE id = %s", [destination.pk])
        (raw,) = cursor.fetchone()
    assert TOKEN.encode() not in bytes(raw)

    event = AuditEvent.objects.get(event_type="siem.destination.created", resource_id=body["id"])
    assert event.user_id == alice.public_id
    assert event.details == {"kind": "https", "target": f"127.0.0.1:{collector.port}", "start": "beginning",
                             "cursor_seq": 0, "enabled": True}  # fmt: skip
    everything = " ".join(str(row) for row in AuditEvent.objects.values_list())
    assert TOKEN not in everything and "/ingest" not in everything


def test_every_bad_field_is_named_at_once(api_client, alice, loopback_allowed):
    api_client.force_authenticate(alice)
    response = api_client.post(API, {"name": "", "kind": "https", "url": "http://collector.example.com/x",
                                     "ca_pem": "not a certificate", "batch_size": 0}, format="json")  # fmt: skip
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert {"name", "url", "ca_pem", "batch_size"} <= set(response.json()["errors"])
    missing = api_client.post(API, {"name": "s", "kind": "https", "url": "https://127.0.0.1:9/x"}, format="json")
    assert missing.status_code == 400 and set(missing.json()["errors"]) == {"token"}
    syslog = api_client.post(API, {"name": "s", "kind": "syslog", "host": "bad host/", "port": 70000}, format="json")
    assert syslog.status_code == 400 and {"host", "port"} <= set(syslog.json()["errors"])
    unknown = api_client.post(API, {"name": "s", "kind": "kafka", "colour": "red"}, format="json")
    assert unknown.status_code == 400 and {"colour"} <= set(unknown.json()["errors"])
    assert not SiemDestination.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "https", "url": "https://127.0.0.1:8443/ingest", "token": "t"}, "url"),
        ({"kind": "https", "url": "https://localhost/ingest", "token": "t"}, "url"),
        ({"kind": "https", "url": "https://10.0.0.8/ingest", "token": "t"}, "url"),
        ({"kind": "syslog", "host": "169.254.169.254", "port": 6514}, "host"),
        ({"kind": "syslog", "host": "127.0.0.1", "port": 6514}, "host"),
    ],
)
def test_the_collector_must_be_on_the_public_internet(api_client, alice, body, field):
    api_client.force_authenticate(alice)
    response = api_client.post(API, {"name": "inside", **body}, format="json")
    assert response.status_code == 400 and field in response.json()["errors"], response.content


def test_cloud_metadata_stays_refused_even_when_private_networks_are_allowed(api_client, alice, loopback_allowed):
    api_client.force_authenticate(alice)
    response = api_client.post(API, {"name": "m", "kind": "syslog", "host": "169.254.169.254"}, format="json")
    assert response.status_code == 400 and "host" in response.json()["errors"]


def test_update_keeps_the_token_unless_given_and_is_audited(api_client, alice, collector, loopback_allowed):
    api_client.force_authenticate(alice)
    created = api_client.post(API, https_body(collector), format="json").json()
    url = f"{API}/{created['id']}"
    kept = api_client.put(url, https_body(collector, token="", name="splunk-2", enabled=False), format="json")
    assert kept.status_code == 200 and kept.json()["name"] == "splunk-2" and kept.json()["enabled"] is False
    assert SiemDestination.objects.get(public_id=created["id"]).token == TOKEN
    replaced = api_client.put(url, https_body(collector, token="new-token-2"), format="json")
    assert replaced.status_code == 200
    assert SiemDestination.objects.get(public_id=created["id"]).token == "new-token-2"
    updates = AuditEvent.objects.filter(event_type="siem.destination.updated", resource_id=created["id"])
    assert [e.details["changed"] for e in updates.order_by("id")] == [["enabled", "name"], ["enabled", "name", "token"]]
    assert "new-token-2" not in " ".join(str(row) for row in AuditEvent.objects.values_list())

    to_syslog = api_client.put(url, {"name": "splunk", "kind": "syslog", "host": "127.0.0.1"}, format="json")
    assert to_syslog.status_code == 200 and to_syslog.json()["has_token"] is False
    assert to_syslog.json()["port"] == 6514

    assert api_client.delete(url).status_code == 204
    assert not SiemDestination.objects.filter(public_id=created["id"]).exists()
    assert AuditEvent.objects.filter(event_type="siem.destination.deleted", resource_id=created["id"]).exists()


def test_names_are_unique_per_organisation(api_client, alice, collector, loopback_allowed):
    api_client.force_authenticate(alice)
    assert api_client.post(API, https_body(collector), format="json").status_code == 201
    again = api_client.post(API, https_body(collector), format="json")
    assert again.status_code == 400 and "name" in again.json()["errors"]


def test_reading_needs_audit_read_and_changing_audit_manage(api_client, acme, bob, collector, loopback_allowed):
    api_client.force_authenticate(bob)
    assert api_client.get(API).status_code == 403
    auditor: User = UserFactory.create(username="dora", organization=acme)
    grant(auditor, acme, "auditor")
    api_client.force_authenticate(auditor)
    assert api_client.get(API).status_code == 200
    refused = api_client.post(API, https_body(collector), format="json")
    assert refused.status_code == 403 and "audit:manage" in refused.json()["detail"]
    assert AuditEvent.objects.filter(event_type="access.denied", user_id=auditor.public_id).exists()


def test_another_organisations_destination_is_not_found(api_client, alice, charlie, collector, loopback_allowed):
    api_client.force_authenticate(alice)
    created = api_client.post(API, https_body(collector), format="json").json()
    api_client.force_authenticate(charlie)
    assert api_client.get(API).json()["results"] == []
    assert api_client.get(f"{API}/{created['id']}").status_code == 404
    assert api_client.delete(f"{API}/{created['id']}").status_code == 404
    assert SiemDestination.objects.filter(public_id=created["id"]).exists()


def test_the_ocsf_pull_returns_valid_lines_after_a_sequence_number(api_client, alice, acme, admin):
    for i in range(5):
        record(actor=admin, event_type="model.inference", resource="deployment/icu", resource_id=f"dep_{i}")
    sequence_chain(acme.public_id)
    api_client.force_authenticate(alice)
    response = api_client.get("/api/v1/siem/ocsf", {"after_seq": 2, "limit": 3})
    assert response.status_code == 200 and response["Content-Type"] == "application/x-ndjson"
    events = [json.loads(line) for line in b"".join(response.streaming_content).decode().splitlines()]
    assert [e["metadata"]["sequence"] for e in events] == [3, 4, 5]
    assert all(ocsf_problems(e) == [] for e in events)
    exported = AuditEvent.objects.filter(event_type="audit.exported", user_id=alice.public_id)
    assert [e.details for e in exported] == [{"format": "ocsf", "after_seq": 2, "limit": 3}]
    bad = api_client.get("/api/v1/siem/ocsf", {"after_seq": "-1", "limit": "lots"})
    assert bad.status_code == 400 and set(bad.json()["errors"]) == {"after_seq", "limit"}


def test_the_console_page_adds_a_destination_and_shows_all_errors_at_once(client, alice, collector, loopback_allowed):
    client.force_login(alice)
    page = client.get("/audit/siem/")
    assert page.status_code == 200 and "Add a destination" in page.content.decode()
    bad = client.post("/audit/siem/", {"name": "", "kind": "https", "url": "ftp://x", "batch_size": "0",
                                       "start": "beginning"})  # fmt: skip
    assert bad.status_code == 400
    assert {"name", "url", "batch_size"} <= set(bad.context["form"].errors)
    good = client.post("/audit/siem/", {"name": "splunk", "kind": "https", "url": collector.url, "token": TOKEN,
                                        "ca_pem": collector.ca_pem, "batch_size": "100", "enabled": "on",
                                        "start": "now"})  # fmt: skip
    assert good.status_code == 302
    listing = client.get("/audit/siem/").content.decode()
    assert "splunk" in listing and TOKEN not in listing and "(token set)" in listing
    destination = SiemDestination.objects.get(name="splunk")
    edit = client.get(f"/audit/siem/{destination.public_id}/edit")
    assert edit.status_code == 200 and TOKEN not in edit.content.decode()
    saved = client.post(f"/audit/siem/{destination.public_id}/edit", {
        "name": "splunk", "kind": "https", "url": collector.url, "token": "", "ca_pem": collector.ca_pem,
        "batch_size": "50", "enabled": "on"})  # fmt: skip
    assert saved.status_code == 302
    destination.refresh_from_db()
    assert destination.batch_size == 50 and destination.token == TOKEN
    confirm = client.post(f"/audit/siem/{destination.public_id}/delete")
    assert confirm.status_code == 200 and "Remove destination" in confirm.content.decode()
    assert SiemDestination.objects.filter(pk=destination.pk).exists()
    removed = client.post(f"/audit/siem/{destination.public_id}/delete", {"confirmed": "yes"})
    assert removed.status_code == 302 and not SiemDestination.objects.filter(pk=destination.pk).exists()


def test_the_console_page_is_read_only_without_audit_manage(client, acme, collector):
    auditor: User = UserFactory.create(username="dora", organization=acme)
    grant(auditor, acme, "auditor")
    client.force_login(auditor)
    page = client.get("/audit/siem/")
    assert page.status_code == 200 and "Add a destination" not in page.content.decode()
    assert client.post("/audit/siem/", {"name": "x", "kind": "https"}).status_code == 403
    assert "SIEM export" in page.content.decode()  # in the navigation under Audit
