"""The download link: short-lived, bound to its report, and still needing a member with `report:read` in the
report's organisation; every download audited; served as an attachment that no cache keeps."""

from __future__ import annotations

import hashlib
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core import signing

from accessctl.actor import Actor
from audit.models import AuditEvent
from reports.models import ReportStatus
from reports.services import DOWNLOAD_TTL_SECONDS, download_token, report_render, report_request

pytestmark = pytest.mark.django_db


@pytest.fixture
def ready_report(acme, olivia):
    report = report_request(actor=Actor(organization=acme, user=olivia), output_format="json",
                            include_sections=["user_activity"])  # fmt: skip
    rendered = report_render(report.pk)
    assert rendered is not None and rendered.status == ReportStatus.READY
    return rendered


def link_of(api_client, report) -> str:
    body = api_client.get(f"/api/v1/reports/{report.public_id}").json()
    assert body["status"] == "ready" and body["url_expires_at"]
    return str(body["url"])


def test_erin_downloads_through_the_link_and_it_is_audited(api_client, erin, ready_report):
    api_client.force_authenticate(erin)
    url = link_of(api_client, ready_report)
    assert url.startswith("http://testserver/api/v1/reports/") and "token=" in url
    response = api_client.get(url, HTTP_ACCEPT="application/pdf, */*")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"] == f'attachment; filename="{ready_report.public_id}-hipaa.json"'
    assert response["Cache-Control"] == "no-store"
    assert hashlib.sha256(response.content).hexdigest() == ready_report.sha256
    downloaded = AuditEvent.objects.get(event_type="report.downloaded", resource_id=ready_report.public_id)
    assert downloaded.user_id == erin.public_id
    assert downloaded.details == {"output_format": "json", "sha256": ready_report.sha256,
                                  "size": ready_report.size_bytes}  # fmt: skip


def test_the_link_needs_a_signed_in_member(api_client, erin, ready_report):
    api_client.force_authenticate(erin)
    url = link_of(api_client, ready_report)
    api_client.force_authenticate(None)
    assert api_client.get(url).status_code == 401


def test_the_link_needs_report_read(api_client, erin, bob, ready_report):
    api_client.force_authenticate(erin)
    url = link_of(api_client, ready_report)
    api_client.force_authenticate(bob)
    assert api_client.get(url).status_code == 403


def test_the_link_is_useless_in_another_organisation(api_client, erin, charlie, ready_report):
    api_client.force_authenticate(erin)
    url = link_of(api_client, ready_report)
    api_client.force_authenticate(charlie)  # Globex's admin holds report:read there
    assert api_client.get(url).status_code == 404


def test_the_token_is_bound_to_its_report(api_client, acme, olivia, erin, ready_report):
    other = report_render(
        report_request(
            actor=Actor(organization=acme, user=olivia), output_format="csv", include_sections=["deployments"]
        ).pk
    )
    assert other is not None
    token = download_token(other)
    api_client.force_authenticate(erin)
    response = api_client.get(f"/api/v1/reports/{ready_report.public_id}/download", {"token": token})
    assert response.status_code == 403
    assert response.json()["detail"] == "The download link is not valid for this report."
    assert api_client.get(f"/api/v1/reports/{other.public_id}/download", {"token": token}).status_code == 200
    refused = AuditEvent.objects.filter(event_type="access.denied", resource_id=ready_report.public_id)
    assert refused.get().details == {"reason": "download_token"}


@pytest.mark.parametrize("token", ["", "garbage", "1abc:forged-signature"])
def test_missing_or_forged_tokens_are_refused(api_client, erin, ready_report, token):
    api_client.force_authenticate(erin)
    response = api_client.get(f"/api/v1/reports/{ready_report.public_id}/download", {"token": token})
    assert response.status_code == 403
    assert not AuditEvent.objects.filter(event_type="report.downloaded").exists()


def test_the_link_expires_after_ten_minutes(api_client, erin, ready_report, monkeypatch):
    api_client.force_authenticate(erin)
    url = link_of(api_client, ready_report)
    token = parse_qs(urlsplit(url).query)["token"][0]
    issued = signing.b62_decode(token.split(":")[0])
    monkeypatch.setattr("django.core.signing.time.time", lambda: issued + DOWNLOAD_TTL_SECONDS - 5)
    assert api_client.get(url).status_code == 200
    monkeypatch.setattr("django.core.signing.time.time", lambda: issued + DOWNLOAD_TTL_SECONDS + 5)
    expired = api_client.get(url)
    assert expired.status_code == 403
    assert "expired" in expired.json()["detail"]


def test_a_report_still_rendering_has_no_link_and_no_download(api_client, acme, olivia, erin):
    report = report_request(actor=Actor(organization=acme, user=olivia), output_format="pdf")
    api_client.force_authenticate(erin)
    assert api_client.get(f"/api/v1/reports/{report.public_id}").json()["url"] is None
    response = api_client.get(f"/api/v1/reports/{report.public_id}/download", {"token": download_token(report)})
    assert response.status_code == 409


def test_the_stored_report_is_encrypted(ready_report):
    from tests.encryption.test_at_rest import all_rows_text

    assert b'"audit_chain"' in bytes(ready_report.content)
    assert '"audit_chain"' not in all_rows_text()
