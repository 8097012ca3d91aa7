"""Notification letters: rendered to PDF by the worker task, sealed at rest, downloads audited, no PHI inside."""

from __future__ import annotations

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from core.pdf import LocalOnlyFetcher, RemoteFetchRefused
from incidents.letters import render_html
from incidents.models import Incident, Notice
from incidents.selectors import latest_assessment
from incidents.tasks import render_notice

pytestmark = pytest.mark.django_db

ASSESSMENT = {
    "nature_extent": "extensive",
    "identifier_types": ["names", "ssn"],
    "recipient": "external",
    "acquired": "acquired",
    "mitigation": "partial",
    "acquired_notes": "Jane Roe's SSN 123-45-6789 was in the file",
    "affected_individuals": 720,
    "affected_by_jurisdiction": {"CA": 600, "OR": 120},
}


@pytest.fixture
def breach(api_client, alice, acme):
    api_client.force_authenticate(alice)
    incident = Incident.objects.create(
        organization=acme, title="Backup tape lost in transit", discovered_at=timezone.now(), source="manual"
    )
    response = api_client.post(f"/api/v1/incidents/{incident.public_id}/assessment", ASSESSMENT, format="json")
    assert response.status_code == 201
    return incident


def request_notice(client, incident, **body):
    return client.post(f"/api/v1/incidents/{incident.public_id}/notices", body, format="json")


def test_individual_notice_renders_to_a_sealed_pdf_and_downloads_audited(api_client, breach):
    response = request_notice(api_client, breach, kind="individual")
    assert response.status_code == 202 and response.json()["status"] == "queued"
    notice_id = response.json()["id"]
    url = f"/api/v1/incidents/{breach.public_id}/notices/{notice_id}"
    assert api_client.get(url).status_code == 409  # not rendered yet
    notice = Notice.objects.get(public_id=notice_id)
    assert render_notice(notice.pk) == "ready"  # the worker's task, run here synchronously
    download = api_client.get(url)
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    assert download.content.startswith(b"%PDF-")
    assert f"{breach.public_id}-individual-notice.pdf" in download["Content-Disposition"]
    raw = Notice.objects.filter(pk=notice.pk).values_list("content", flat=True).get()
    assert not bytes(raw).startswith(b"%PDF-")
    event = AuditEvent.objects.get(event_type="incident.notice_downloaded")
    assert event.resource_id == notice_id and event.details["kind"] == "individual"
    assert AuditEvent.objects.filter(event_type="incident.notice_rendered", resource_id=breach.public_id).exists()
    assert render_notice(notice.pk) == "ready"  # idempotent


def test_letters_carry_incident_facts_and_placeholders_never_phi(breach):
    assessment = latest_assessment(breach)
    assert assessment is not None
    for kind, jurisdiction in (("individual", ""), ("media", "CA"), ("hhs", "")):
        notice = Notice(organization=breach.organization, incident=breach, kind=kind, jurisdiction=jurisdiction)
        html = render_html(notice, assessment)
        assert "Jane" not in html and "123-45-6789" not in html
        assert "Social Security numbers" in html and breach.public_id in html
        assert "{{recipient_name}}" in html or kind != "individual"
    media = render_html(
        Notice(organization=breach.organization, incident=breach, kind="media", jurisdiction="CA"), assessment
    )
    assert "600 residents of California" in media
    individual = render_html(Notice(organization=breach.organization, incident=breach, kind="individual"), assessment)
    for part in (
        "What happened",
        "What information was involved",
        "What you can do",
        "What we are doing",
        "For more information",
        "{{contact_phone}}",
    ):
        assert part in individual


@pytest.mark.parametrize("kind", ["media", "hhs"])
def test_media_and_hhs_notices_render(api_client, breach, kind):
    response = request_notice(api_client, breach, kind=kind, jurisdiction="CA" if kind == "media" else "")
    assert response.status_code == 202
    notice = Notice.objects.get(public_id=response.json()["id"])
    assert render_notice(notice.pk) == "ready"
    notice.refresh_from_db()
    assert bytes(notice.content).startswith(b"%PDF-") and notice.size_bytes == len(bytes(notice.content))


def test_media_notice_only_where_500_residents_are_affected(api_client, breach):
    response = request_notice(api_client, breach, kind="media", jurisdiction="OR")
    assert response.status_code == 400 and "jurisdiction" in response.json()["errors"]


def test_no_letters_without_a_notifiable_assessment(api_client, alice, acme):
    api_client.force_authenticate(alice)
    incident = Incident.objects.create(organization=acme, title="Maybe", discovered_at=timezone.now(), source="manual")
    response = request_notice(api_client, incident, kind="individual")
    assert response.status_code == 400 and "kind" in response.json()["errors"]
    assert not Notice.objects.exists()


def test_rendering_fetches_nothing_remote():
    fetcher = LocalOnlyFetcher()
    for url in ("https://attacker.example/x.css", "file:///etc/passwd", "ftp://host/x"):
        with pytest.raises(RemoteFetchRefused):
            fetcher.fetch(url)
    assert fetcher.fetch("data:text/css,body{}") is not None


def test_recording_notifications_meets_the_deadlines(api_client, breach):
    base = f"/api/v1/incidents/{breach.public_id}"
    today = timezone.localdate().isoformat()
    for body in (
        {"kind": "individual", "notified_on": today},
        {"kind": "media", "jurisdiction": "CA", "notified_on": today},
    ):
        assert api_client.post(f"{base}/notifications", body, format="json").status_code == 201
    again = api_client.post(f"{base}/notifications", {"kind": "individual", "notified_on": today}, format="json")
    assert again.status_code == 400 and "kind" in again.json()["errors"]
    rows = {(d["kind"], d["jurisdiction"]): d for d in api_client.get(f"{base}/deadlines").json()["results"]}
    assert rows[("individual", None)]["notified_on"] == today and rows[("media", "CA")]["notified_on"] == today
    assert rows[("hhs", None)]["notified_on"] is None and rows[("hhs", None)]["days_left"] == 60
