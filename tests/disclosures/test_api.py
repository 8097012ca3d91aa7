"""`POST /api/v1/disclosures/search` and `/export`: permission, 400s naming the field, paging, CSV and PDF."""

from __future__ import annotations

import csv
import io

import pytest

from audit.models import AuditEvent

pytestmark = pytest.mark.django_db

SEARCH = "/api/v1/disclosures/search"
EXPORT = "/api/v1/disclosures/export"


def test_a_compliance_officer_searches_and_pages(api_client, dana, smith_inferences):
    api_client.force_authenticate(dana)
    body = {"name": "smith, john", "date_of_birth": "01/15/1965", "page_size": 2}
    first = api_client.post(SEARCH, body, format="json")
    assert first.status_code == 200, first.json()
    page = first.json()
    assert page["count"] == 3 and page["next_page"] == 2 and page["searched"] == ["name_dob"]
    second = api_client.post(SEARCH, {**body, "page": 2}, format="json").json()
    got = [r["reference"] for r in page["results"] + second["results"]]
    assert sorted(got) == sorted(smith_inferences) and second["next_page"] is None
    result = second["results"][0]
    assert result["kind"] == "inference" and result["provider"] == "local" and result["redacted"] is False
    assert result["matched"] == ["name_dob"] and result["user_id"]
    assert AuditEvent.objects.filter(event_type="disclosure.searched", user_id=dana.public_id).count() == 2


def test_a_member_without_the_permission_is_refused(api_client, bob, smith_inferences):
    api_client.force_authenticate(bob)
    response = api_client.post(SEARCH, {"mrn": "123"}, format="json")
    assert response.status_code == 403
    assert not AuditEvent.objects.filter(event_type="disclosure.searched").exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "John Smith"}, "date_of_birth"),
        ({"date_of_birth": "1965-01-15"}, "name"),
        ({"name": "John Smith", "date_of_birth": "15th of never"}, "date_of_birth"),
        ({"ssn": "123-45"}, "ssn"),
        ({"phone": "555"}, "phone"),
        ({"email": "not-an-address"}, "email"),
        ({}, "name"),
        ({"mrn": "1", "patient": "x"}, "patient"),
        ({"mrn": "1", "page_size": 0}, "page_size"),
    ],
)
def test_bad_input_is_a_400_naming_the_field_without_echoing_it(api_client, alice, body, field):
    api_client.force_authenticate(alice)
    response = api_client.post(SEARCH, body, format="json")
    assert response.status_code == 400
    problem = response.json()
    assert field in problem["errors"], problem
    for value in body.values():
        if isinstance(value, str) and len(value) > 3:
            assert value not in response.content.decode()


def test_csv_export_lists_each_disclosure_and_is_audited(api_client, alice, smith_inferences):
    response = api_client.post(EXPORT, {"name": "John Smith", "date_of_birth": "1965-01-15"}, format="json")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert sorted(r["reference"] for r in rows) == sorted(smith_inferences)
    assert rows[0]["provider"] == "local" and rows[0]["redacted"] == "False"
    assert rows[0]["recipient"] == ""  # the local runtime: nobody outside received it
    assert "Smith" not in response.content.decode()
    event = AuditEvent.objects.get(event_type="disclosure.searched")
    assert event.details["export"] == "csv" and event.details["matches"] == 3


def test_pdf_export(api_client, alice, smith_inferences):
    response = api_client.post(
        EXPORT, {"name": "John Smith", "date_of_birth": "1965-01-15", "format": "pdf"}, format="json"
    )
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
