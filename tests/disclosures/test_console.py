"""The console page: compliance officers search (htmx swaps the table in) and export; others get a 403."""

from __future__ import annotations

import pytest

from audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_a_compliance_officer_finds_the_patients_disclosures_without_the_page_repeating_them(
    client,
    dana,
    smith_inferences,
):
    client.force_login(dana)
    page = client.get("/disclosures/")
    assert page.status_code == 200
    assert "/disclosures/" in [item["url"] for item in page.context["nav_items"]]
    form = {"name": "Smith, John", "date_of_birth": "01/15/1965", "mrn": "", "ssn": "", "phone": "", "email": ""}
    results = client.post("/disclosures/", form, HTTP_HX_REQUEST="true")
    html = results.content.decode()
    assert results.status_code == 200 and "<html" not in html
    assert all(reference in html for reference in smith_inferences)
    assert "Smith" not in html and "1965" not in html
    full = client.post("/disclosures/", form).content.decode()  # without htmx: a blank form, no values
    assert "Smith" not in full and smith_inferences[0] in full
    assert AuditEvent.objects.filter(event_type="disclosure.searched", user_id=dana.public_id).count() == 2


def test_export_buttons_download_csv_and_errors_name_the_field(client, dana, smith_inferences):
    client.force_login(dana)
    csv = client.post("/disclosures/", {"name": "John Smith", "date_of_birth": "1965-01-15", "export": "csv"})
    assert csv["Content-Type"].startswith("text/csv") and smith_inferences[0] in csv.content.decode()
    bad = client.post("/disclosures/", {"name": "John Smith"}, HTTP_HX_REQUEST="true").content.decode()
    assert "Give the date of birth with the name." in bad and "John" not in bad


def test_a_member_without_the_permission_is_refused(client, bob):
    client.force_login(bob)
    assert client.get("/disclosures/").status_code == 403
    assert client.post("/disclosures/", {"mrn": "1"}).status_code == 403
