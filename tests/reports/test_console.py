"""The console's Reports page: the compliance officer requests a report with the sections she ticks, the table
polls while a worker renders it, and the download button leads to a fresh signed link."""

from __future__ import annotations

import pytest

from accessctl.actor import Actor
from reports.models import ComplianceReport, ReportStatus
from reports.services import report_render, report_request

pytestmark = pytest.mark.django_db


def test_olivia_requests_a_report_with_the_sections_she_ticks(client, olivia):
    client.force_login(olivia)
    page = client.get("/reports/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="include_sections" value="phi_access"' in html and "Generate report" in html
    response = client.post(
        "/reports/",
        {"time_period": "last_7_days", "include_sections": ["phi_access", "user_activity"], "output_format": "pdf"},
    )
    assert response.status_code == 302
    report = ComplianceReport.objects.get()
    assert report.sections == ["phi_access", "user_activity"] and report.requested_by == olivia
    table = client.get("/reports/").content.decode()
    assert f'data-report="{report.public_id}"' in table
    assert 'hx-trigger="every 2s"' in table  # polls while the report is queued
    assert "PHI access, User activity" in table and "phi_access" not in table.split("<tbody>")[1]  # titles


def test_a_custom_period_without_dates_is_refused_on_the_field(client, olivia):
    client.force_login(olivia)
    response = client.post("/reports/", {"time_period": "custom", "include_sections": ["phi_access"],
                                         "output_format": "pdf"})  # fmt: skip
    assert response.status_code == 200
    assert "A custom period needs start_date and end_date." in response.content.decode()
    assert not ComplianceReport.objects.exists()


def test_erin_sees_reports_and_downloads_but_gets_no_form(client, acme, olivia, erin):
    report = report_render(
        report_request(
            actor=Actor(organization=acme, user=olivia), output_format="csv", include_sections=["deployments"]
        ).pk
    )
    assert report is not None and report.status == ReportStatus.READY
    client.force_login(erin)
    html = client.get("/reports/").content.decode()
    assert "Generate report" not in html and "Download" in html
    assert 'hx-trigger="every 2s"' not in html  # nothing pending: no polling
    assert client.post("/reports/", {"time_period": "last_7_days"}).status_code == 403
    redirect = client.get(f"/reports/{report.public_id}/download")
    assert redirect.status_code == 302
    assert redirect["Location"].startswith(f"/api/v1/reports/{report.public_id}/download?token=")
    download = client.get(redirect["Location"])
    assert download.status_code == 200 and download["Content-Type"] == "text/csv; charset=utf-8"
    assert download.content.startswith(b"section,table,row,column,value")


def test_the_table_partial_and_members_without_report_read(client, bob, erin):
    client.force_login(erin)
    assert client.get("/reports/table").status_code == 200
    client.force_login(bob)
    assert client.get("/reports/").status_code == 403
    assert client.get("/reports/table").status_code == 403
