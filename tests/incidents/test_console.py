"""Console: incident list with countdowns, detail with timeline, notes, status, assessment, deadlines and letters,
alerts and thresholds. Form errors land on their field; nothing is a 500; no inline script or style."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone

from incidents.models import Alert, Incident, IncidentEvent, Notice
from incidents.tasks import render_notice

pytestmark = pytest.mark.django_db


def no_inline_code(html: str) -> None:
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "inline script"
    assert " style=" not in html and "<style" not in html


@pytest.fixture
def incident(acme):
    return Incident.objects.create(
        organization=acme,
        title="Bulk PHI access: actor:user_x",
        severity="high",
        discovered_at=timezone.now(),
        source="detection",
    )


def test_list_shows_badges_and_opens_an_incident(client, alice, incident):
    client.force_login(alice)
    page = client.get("/incidents/")
    html = page.content.decode()
    assert page.status_code == 200 and incident.public_id in html and 'data-severity="high"' in html
    no_inline_code(html)
    refused = client.post("/incidents/", {"title": "  ", "severity": "low"})
    assert refused.status_code == 200 and 'data-field="title"' in refused.content.decode()
    created = client.post("/incidents/", {"title": "Fax sent to the wrong clinic", "severity": "low"})
    assert created.status_code == 302
    assert Incident.objects.filter(title="Fax sent to the wrong clinic").exists()


def test_detail_status_note_and_owner(client, alice, acme, incident):
    IncidentEvent.objects.create(
        incident=incident, event_id="evt_abc", seq=7, event_type="model.inference", timestamp=timezone.now()
    )
    client.force_login(alice)
    url = f"/incidents/{incident.public_id}/"
    html = client.get(url).content.decode()
    assert "model.inference" in html and "Mark investigating" in html
    no_inline_code(html)
    wrong = client.post(f"{url}status", {"status": "reported"})
    assert wrong.status_code == 400 and 'data-field="status"' in wrong.content.decode()
    assert client.post(f"{url}status", {"status": "investigating"}).status_code == 302
    assert client.post(f"{url}notes", {"text": "Spoke to the user"}).status_code == 302
    empty = client.post(f"{url}notes", {"text": ""})
    assert empty.status_code == 400 and 'data-field="text"' in empty.content.decode()
    bad_owner = client.post(f"{url}owner", {"owner_id": "user_nobody", "severity": "high"})
    assert bad_owner.status_code == 400 and 'data-field="owner_id"' in bad_owner.content.decode()
    assert client.post(f"{url}owner", {"owner_id": alice.public_id, "severity": "critical"}).status_code == 302
    incident.refresh_from_db()
    assert (incident.status, incident.owner, incident.severity) == ("investigating", alice, "critical")
    assert "Spoke to the user" in client.get(url).content.decode()


ASSESSMENT = {
    "nature_extent": "moderate",
    "identifier_types": ["names", "diagnoses"],
    "reidentification": "moderate",
    "recipient": "external",
    "acquired": "acquired",
    "mitigation": "partial",
    "affected_individuals": "40",
    "affected_by_jurisdiction": "CA=30, NV=10",
}


def test_assessment_deadlines_and_letters(client, alice, incident):
    client.force_login(alice)
    url = f"/incidents/{incident.public_id}/"
    bad = client.post(f"{url}assessment", {**ASSESSMENT, "affected_by_jurisdiction": "CA=lots"})
    assert bad.status_code == 400 and 'data-field="affected_by_jurisdiction"' in bad.content.decode()
    unknown = client.post(f"{url}assessment", {**ASSESSMENT, "affected_by_jurisdiction": "XX=3"})
    assert unknown.status_code == 400 and 'data-field="affected_by_jurisdiction"' in unknown.content.decode()
    missing = client.post(f"{url}assessment", {**ASSESSMENT, "recipient": ""})
    assert missing.status_code == 400 and 'data-field="recipient"' in missing.content.decode()
    assert client.post(f"{url}assessment", ASSESSMENT).status_code == 302
    html = client.get(url).content.decode()
    assert "Notifiable breach" in html and "Factor(s) 2, 3 score high" in html
    assert "60 days left" in html and "45 CFR 164.408(c)" in html  # under 500: the HHS annual log
    no_inline_code(html)
    assert client.post(f"{url}notices", {"kind": "individual"}).status_code == 302
    notice = Notice.objects.get()
    render_notice(notice.pk)
    partial = client.get(f"{url}notices/list").content.decode()
    assert f"/incidents/{incident.public_id}/notices/{notice.public_id}" in partial
    download = client.get(f"{url}notices/{notice.public_id}")
    assert download.status_code == 200 and download.content.startswith(b"%PDF-")
    today = timezone.localdate().isoformat()
    assert client.post(f"{url}notifications", {"kind": "individual", "notified_on": today}).status_code == 302
    assert f"notified {today}" in client.get(url).content.decode()
    future = client.post(f"{url}notifications", {"kind": "hhs_annual", "notified_on": "2999-01-01"})
    assert future.status_code == 400 and 'data-field="notified_on"' in future.content.decode()


def test_list_shows_the_next_deadline_countdown(client, alice, incident):
    client.force_login(alice)
    client.post(f"/incidents/{incident.public_id}/assessment", ASSESSMENT)
    html = client.get("/incidents/").content.decode()
    assert "individual" in html and "60 days left" in html


def test_alerts_and_thresholds_pages(client, alice, acme, incident):
    now = timezone.now()
    Alert.objects.create(
        organization=acme,
        rule="repeated_denials",
        severity="medium",
        key="ip:198.51.100.7",
        window_start=now,
        window_end=now,
        event_count=12,
        dedupe_key="x",
        incident=incident,
    )
    client.force_login(alice)
    html = client.get("/incidents/alerts").content.decode()
    assert "ip:198.51.100.7" in html and incident.public_id in html
    no_inline_code(html)
    assert client.get("/incidents/thresholds").status_code == 200
    values = {
        "bulk_phi_count": 300,
        "bulk_phi_window_minutes": 10,
        "denial_count": 0,
        "denial_window_minutes": 5,
        "login_failure_count": 5,
        "login_window_minutes": 15,
    }
    refused = client.post("/incidents/thresholds", values)
    assert refused.status_code == 400 and 'data-field="denial_count"' in refused.content.decode()
    assert client.post("/incidents/thresholds", {**values, "denial_count": 8}).status_code == 302
    assert acme.detection_thresholds.denial_count == 8


def test_members_without_the_permission_and_other_organisations_are_kept_out(client, bob, charlie, incident):
    client.force_login(bob)
    for url in ("/incidents/", "/incidents/alerts", "/incidents/thresholds", f"/incidents/{incident.public_id}/"):
        assert client.get(url).status_code == 403, url
    client.force_login(charlie)
    assert client.get(f"/incidents/{incident.public_id}/").status_code == 404
    assert client.post(f"/incidents/{incident.public_id}/status", {"status": "investigating"}).status_code == 404
    assert incident.public_id not in client.get("/incidents/").content.decode()
