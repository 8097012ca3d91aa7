"""Through Chromium: a compliance officer finds a failing checklist item, uploads evidence, and it passes."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from audit.models import AuditEvent
from compliance.models import ChecklistEvidence
from tests.conftest import grant
from tests.e2e.test_login import sign_in
from tests.factories import TEST_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)
PDF = b"%PDF-1.4\n% breach notification procedure\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"


def test_officer_uploads_a_breach_procedure_and_incident_response_passes(page, live_server, acme):
    officer = UserFactory.create(username="olivia", organization=acme)
    grant(officer, acme, "compliance-officer")
    sign_in(page, live_server, "olivia", TEST_PASSWORD)
    expect(page).to_have_url(f"{live_server.url}/")
    expect(page.get_by_test_id("compliance-panel")).to_be_visible()

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Compliance").click()
    expect(page.get_by_role("heading", name="HIPAA compliance checklist")).to_be_visible()
    row = page.locator('tr[data-item="incident_response"]')
    expect(row.locator(".status-badge")).to_have_text("Fail")
    expect(row).to_contain_text("§164.308(a)(6)")

    row.get_by_role("link", name="Incident Response").click()
    expect(page).to_have_url(f"{live_server.url}/compliance/items/incident_response")
    expect(page.get_by_role("heading", name="What needs fixing")).to_be_visible()
    expect(page.get_by_test_id("reasons")).to_contain_text("No current breach notification procedure is on file")

    page.get_by_label("Kind").select_option("breach_procedure")
    page.get_by_label("Title").fill("Breach notification procedure 2026")
    page.get_by_label("File", exact=True).set_input_files(
        {"name": "breach-procedure.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    page.get_by_role("button", name="Add evidence").click()

    expect(page).to_have_url(f"{live_server.url}/compliance/items/incident_response")
    expect(page.get_by_role("status")).to_contain_text("Breach notification procedure 2026")
    expect(page.get_by_role("heading", name="Why it passes")).to_be_visible()
    expect(page.locator(".lede .status-badge")).to_have_text("Pass")
    expect(page.get_by_test_id("evidence")).to_contain_text("breach-procedure.pdf")
    expect(page.get_by_test_id("history").locator(".status-badge")).to_have_text(["Pass", "Fail"])

    page.get_by_role("link", name="Compliance checklist").click()
    expect(page.locator('tr[data-item="incident_response"] .status-badge')).to_have_text("Pass")
    evidence = ChecklistEvidence.objects.get(organization=acme)
    assert evidence.kind == "breach_procedure" and evidence.file_size == len(PDF)
    assert AuditEvent.objects.filter(
        event_type="checklist.status_changed", resource="checklist/incident_response"
    ).exists()
