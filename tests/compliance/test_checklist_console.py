"""Console: the checklist and its drill-down with evidence, the BAA pages, and the dashboard's compliance panel."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accessctl.actor import Actor
from audit.models import AuditEvent
from audit.services import record
from compliance.models import BaaStatus, BusinessAssociateAgreement, ChecklistEvidence
from tests.conftest import grant
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.7\n% signed\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


@pytest.fixture
def officer(acme):
    user = UserFactory.create(username="olivia", organization=acme)
    grant(user, acme, "compliance-officer")
    return user


def item_status(html: str, key: str) -> str:
    row = re.search(rf'<tr data-item="{key}">.*?</tr>', html, re.S)
    assert row is not None, key
    found = re.search(r'data-status="([a-z_]+)"', row.group(0))
    assert found is not None
    return found.group(1)


def test_checklist_page_lists_items_with_status_and_citations(client, officer):
    client.force_login(officer)
    response = client.get("/compliance/")
    assert response.status_code == 200
    html = response.content.decode()
    assert item_status(html, "incident_response") == "fail"
    assert "§164.308(a)(6)" in html and "§164.312(e)(1)" in html
    assert 'href="/compliance/items/incident_response"' in html
    assert "No current breach notification procedure is on file" in html  # expands to the reasons
    assert "style=" not in html and "<script" not in html.split("</head>")[1]


def test_item_page_upload_makes_the_item_pass_and_revoke_makes_it_fail(client, officer, acme):
    client.force_login(officer)
    page = client.get("/compliance/items/incident_response")
    assert page.status_code == 200
    html = page.content.decode()
    assert "What needs fixing" in html and 'enctype="multipart/form-data"' in html
    response = client.post(
        "/compliance/items/incident_response",
        {
            "kind": "breach_procedure",
            "title": "Breach notification procedure v3",
            "file": SimpleUploadedFile("breach.pdf", PDF),
        },
    )
    assert response.status_code == 302 and response["Location"] == "/compliance/items/incident_response"
    html = client.get("/compliance/items/incident_response").content.decode()
    assert "Why it passes" in html and "Breach notification procedure v3" in html
    assert 'data-testid="history"' in html and html.count('data-status="fail"') >= 1  # history: fail, then pass
    evidence = ChecklistEvidence.objects.get(organization=acme)
    assert evidence.owner == officer and evidence.created_by == officer
    download = client.get(f"/compliance/evidence/{evidence.public_id}/file")
    assert download.status_code == 200 and download.content == PDF
    assert client.post(f"/compliance/evidence/{evidence.public_id}/revoke", {"confirmed": "yes"}).status_code == 302
    checklist = client.get("/compliance/").content.decode()
    assert item_status(checklist, "incident_response") == "fail"
    changes = checklist.split('data-testid="changes"')[1].split("</table>")[0]
    rows = [row for row in changes.split("<tr>") if "Incident Response" in row]
    moves = [re.findall(r'data-status="([a-z_]+)"', row) for row in rows]
    assert moves == [["pass", "fail"], ["fail", "pass"]]  # newest first
    assert any("Encryption" in row for row in changes.split("<tr>"))  # the upload created the organisation's keys


def test_upload_errors_appear_on_their_field(client, officer):
    client.force_login(officer)
    response = client.post(
        "/compliance/items/incident_response",
        {
            "kind": "breach_procedure",
            "title": "Procedure",
            "file": SimpleUploadedFile("x.exe", b"MZ\x90\x00\x03"),
        },
    )
    assert response.status_code == 400
    assert (
        '<p class="field-error" role="alert" data-field="file">Upload a PDF, PNG, JPEG, DOCX'
        in response.content.decode()
    )
    response = client.post("/compliance/items/incident_response", {"kind": "breach_procedure", "title": "Procedure"})
    assert response.status_code == 400 and 'data-field="file">Upload a file or give a link' in response.content.decode()
    response = client.post(
        "/compliance/items/training", {"kind": "training", "title": "Course", "link": "https://lms.example.org/c/1"}
    )
    assert response.status_code == 400 and 'data-field="subject_user_id"' in response.content.decode()


def test_training_form_offers_the_members(client, officer, alice, bob):
    client.force_login(officer)
    html = client.get("/compliance/items/training").content.decode()
    assert f'value="{bob.public_id}"' in html
    client.post(
        "/compliance/items/training",
        {
            "kind": "training",
            "title": "Course",
            "subject_user_id": bob.public_id,
            "link": "https://lms.example.org/c/1",
        },
    )
    assert ChecklistEvidence.objects.get().subject_user == bob


def test_an_auditor_reads_but_cannot_add_or_revoke(client, acme, bob, officer):
    grant(bob, acme, "auditor")
    client.force_login(officer)
    client.post(
        "/compliance/items/documentation", {"kind": "policy", "title": "Policies", "link": "https://docs.example.org/p"}
    )
    evidence = ChecklistEvidence.objects.get()
    client.force_login(bob)
    html = client.get("/compliance/items/documentation").content.decode()
    assert "Policies" in html and "Add evidence" not in html and "Revoke" not in html
    response = client.post(
        "/compliance/items/documentation", {"kind": "policy", "title": "Mine", "link": "https://docs.example.org/q"}
    )
    assert response.status_code == 403
    assert client.post(f"/compliance/evidence/{evidence.public_id}/revoke").status_code == 403
    assert ChecklistEvidence.objects.count() == 1 and evidence.revoked_at is None


def test_members_without_baa_read_and_other_organisations_are_refused(client, bob, charlie, officer):
    client.force_login(bob)
    assert client.get("/compliance/").status_code == 403
    assert client.get("/compliance/baas/").status_code == 403
    client.force_login(officer)
    assert client.get("/compliance/items/nonsense").status_code == 404
    client.post(
        "/compliance/items/documentation", {"kind": "policy", "title": "Policies", "link": "https://docs.example.org/p"}
    )
    evidence = ChecklistEvidence.objects.get()
    client.force_login(charlie)
    assert client.get(f"/compliance/evidence/{evidence.public_id}/file").status_code == 404
    assert client.post(f"/compliance/evidence/{evidence.public_id}/revoke").status_code == 404


def test_baa_console_create_send_sign_with_pdf_and_download(client, officer, acme):
    client.force_login(officer)
    today = timezone.localdate()
    created = client.post(
        "/compliance/baas/",
        {
            "counterparty": "Mercy General",
            "effective_date": (today - timedelta(days=1)).isoformat(),
            "expiry_date": (today + timedelta(days=365)).isoformat(),
            "reminder_days": 30,
        },
    )
    assert created.status_code == 302
    baa = BusinessAssociateAgreement.objects.get(organization=acme)
    url = f"/compliance/baas/{baa.public_id}"
    assert created["Location"] == url
    assert "Mercy General" in client.get("/compliance/baas/").content.decode()
    assert client.post(f"{url}/action", {"action": "send"}).status_code == 302
    refused = client.post(
        f"{url}/action",
        {"action": "sign", "signatory": "Pat Lee", "document": SimpleUploadedFile("baa.docx", b"PK\x03\x04 not a pdf")},
    )
    assert refused.status_code == 400
    assert 'data-field="document">Upload the signed agreement as a PDF.' in refused.content.decode()
    signed = client.post(
        f"{url}/action", {"action": "sign", "signatory": "Pat Lee", "document": SimpleUploadedFile("baa.pdf", PDF)}
    )
    assert signed.status_code == 302
    baa.refresh_from_db()
    assert baa.status == BaaStatus.ACTIVE and baa.signatory == "Pat Lee"
    html = client.get(url).content.decode()
    assert 'data-status="active"' in html and "sent → signed" in html and "Renew" in html
    download = client.get(f"{url}/document")
    assert download.status_code == 200 and download.content == PDF
    assert AuditEvent.objects.filter(event_type="baa.document_downloaded", resource_id=baa.public_id).exists()
    assert item_status(client.get("/compliance/").content.decode(), "baa") == "pass"


def test_baa_console_errors_land_on_their_fields_never_a_500(client, officer, acme):
    client.force_login(officer)
    bad = client.post(
        "/compliance/baas/",
        {"counterparty": "Mercy", "effective_date": "2026-05-01", "expiry_date": "2026-04-01", "reminder_days": 30},
    )
    assert bad.status_code == 400
    assert 'data-field="expiry_date">The agreement must expire after it takes effect.' in bad.content.decode()
    today = timezone.localdate()
    baa = BusinessAssociateAgreement.objects.create(
        organization=acme,
        counterparty="Mercy",
        status="active",
        effective_date=today - timedelta(days=10),
        expiry_date=today + timedelta(days=100),
    )
    url = f"/compliance/baas/{baa.public_id}"
    renew = client.post(f"{url}/action", {"action": "renew", "expiry_date": today.isoformat()})
    assert renew.status_code == 400 and 'data-field="expiry_date">Give a new expiry date' in renew.content.decode()
    plain = client.post(f"{url}/action", {"action": "send"})
    assert plain.status_code == 400 and "A active agreement cannot become sent." in plain.content.decode()
    missing = client.post(f"{url}/action", {"action": "terminate", "reason": ""})
    assert missing.status_code == 400 and 'data-field="reason"' in missing.content.decode()
    assert client.post(f"{url}/action", {"action": "terminate", "reason": "Contract ended"}).status_code == 302
    baa.refresh_from_db()
    assert baa.status == BaaStatus.TERMINATED


def test_baa_pages_of_another_organisation_are_not_found(client, charlie, globex, officer):
    theirs = BusinessAssociateAgreement.objects.create(
        organization=globex, counterparty="Globex clinic", effective_date="2026-01-01", expiry_date="2027-01-01"
    )
    client.force_login(officer)
    assert client.get(f"/compliance/baas/{theirs.public_id}").status_code == 404
    assert client.post(f"/compliance/baas/{theirs.public_id}/action", {"action": "send"}).status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == "draft"


def test_dashboard_panel_shows_counts_expiries_denials_and_charts(client, alice, bob, acme):
    today = timezone.localdate()
    BusinessAssociateAgreement.objects.create(
        organization=acme,
        counterparty="Soon Clinic",
        status="active",
        effective_date=today - timedelta(days=300),
        expiry_date=today + timedelta(days=45),
    )
    actor = Actor(organization=acme, user=alice)
    record(
        actor=actor, event_type="phi.detection", details={"prompt": {"PERSON": 2, "DATE": 1}, "response": {"PERSON": 1}}
    )
    record(actor=actor, event_type="phi.detection", details={"prompt": {"PHONE": 4}, "response": {}})
    client.force_login(bob)
    assert client.get("/audit/").status_code == 403  # a denial for the panel
    html = client.get("/").content.decode()
    assert 'data-testid="compliance-panel"' not in html  # bob may not read the checklist
    client.force_login(alice)
    html = client.get("/").content.decode()
    assert 'data-testid="compliance-panel"' in html
    assert 'href="/compliance/items/incident_response"' in html  # failing items link to their drill-down
    assert "Soon Clinic" in html and "45 days" in html
    denials = html.split('data-testid="denials"')[1].split("</table>")[0]
    assert "bob" in denials and "audit:read" in denials
    events_chart = html.split('data-testid="events-chart"')[1].split("</svg>")[0]
    assert events_chart.count("<rect") == 14
    phi_chart = html.split('data-testid="phi-chart"')[1].split("</svg>")[0]
    assert '<g data-type="PHONE" data-value="4">' in phi_chart and '<g data-type="PERSON" data-value="3">' in phi_chart
    assert '<g data-type="DATE" data-value="1">' in phi_chart
    assert "style=" not in html and "<script" not in html.split("</head>")[1]


def test_dashboard_counts_match_the_checklist(client, officer, acme):
    client.force_login(officer)
    html = client.get("/").content.decode()
    checklist = client.get("/compliance/").content.decode()
    for status in ("pass", "fail", "expiring", "not_evaluated"):
        pattern = rf'data-count="{status}">(\d+)<'
        assert re.search(pattern, html).group(1) == re.search(pattern, checklist).group(1)  # type: ignore[union-attr]
