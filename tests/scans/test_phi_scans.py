"""PHI scans: upload over REST, a worker (called directly here) scans it, results are positions and counts,
the redacted copy holds no identifiers, nothing is stored or audited in the clear."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from audit.models import AuditEvent
from scans.models import PhiScan
from scans.tasks import phi_scan_run

pytestmark = pytest.mark.django_db

NOTES = [
    {"id": "n1", "text": "PT SEEN BY DR. QUACKENBUSH 7/22. HUSBAND JOHN CALLED 617-555-0100."},
    {"id": "n2", "text": "Patient John Smith (DOB: 01/15/1965) has been diagnosed with type 2 diabetes."},
]


def upload(api_client, name: str, content: bytes, **extra: str):
    return api_client.post(
        "/api/v1/phi-scans", {"file": SimpleUploadedFile(name, content), **extra}, format="multipart"
    )


def test_a_jsonl_scan_reports_positions_and_counts_and_redacts(api_client, alice, django_capture_on_commit_callbacks):
    api_client.force_authenticate(alice)
    body = "\n".join(json.dumps(note) for note in NOTES).encode()
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = upload(api_client, "notes.jsonl", body)
    assert response.status_code == 202, response.json()
    assert len(queued) == 1
    scan_id = response.json()["id"]
    scan = PhiScan.objects.get(public_id=scan_id)
    assert phi_scan_run.run(scan.pk) == "done"
    detail = api_client.get(f"/api/v1/phi-scans/{scan_id}").json()
    assert detail["status"] == "done" and detail["documents"] == 2
    assert detail["counts"]["NAME"] >= 3 and detail["counts"]["DATE"] >= 2 and detail["counts"]["PHONE"] == 1
    first = next(f for f in detail["findings"] if f["document"] == "line2" and f["type"] == "NAME")
    assert NOTES[1]["text"][first["start"] : first["end"]] == "John Smith"
    assert "John" not in json.dumps(detail)
    redacted = api_client.get(f"/api/v1/phi-scans/{scan_id}/redacted").content.decode()
    assert "line2\tPatient [REDACTED NAME] (DOB: [REDACTED DATE]) has been diagnosed with type 2 diabetes." in redacted
    assert "QUACKENBUSH" not in redacted and "617-555-0100" not in redacted
    finished = AuditEvent.objects.get(event_type="phi_scan.finished", resource_id=scan_id)
    assert finished.details["documents"] == 2 and "John" not in json.dumps(finished.details)


def test_nothing_identifying_is_stored_in_the_clear(api_client, alice):
    from tests.encryption.test_at_rest import all_rows_text

    api_client.force_authenticate(alice)
    scan_id = upload(api_client, "Quackenbush-notes.txt", NOTES[0]["text"].encode()).json()["id"]
    phi_scan_run.run(PhiScan.objects.get(public_id=scan_id).pk)
    everything = all_rows_text()
    assert "QUACKENBUSH" not in everything and "Quackenbush" not in everything
    assert "617-555-0100" not in everything


def test_a_malformed_jsonl_line_fails_the_scan_naming_the_line(api_client, alice):
    api_client.force_authenticate(alice)
    body = b'{"id": "a", "text": "ok"}\n{"id": "b", "text": "fine"}\n{not json PATIENT JOHN\n'
    scan_id = upload(api_client, "bad.jsonl", body).json()["id"]
    assert phi_scan_run.run(PhiScan.objects.get(public_id=scan_id).pk) == "failed"
    detail = api_client.get(f"/api/v1/phi-scans/{scan_id}").json()
    assert detail["status"] == "failed" and detail["error"] == "line 3 is not a JSON object with id and text"
    assert api_client.get(f"/api/v1/phi-scans/{scan_id}/redacted").status_code == 404


@pytest.mark.parametrize(
    ("name", "content", "extra", "field"),
    [
        ("empty.txt", b"", {}, "file"),
        ("notes.txt", b"x", {"format": "pdf"}, "format"),
    ],
)
def test_bad_uploads_get_400_naming_the_field(api_client, alice, name, content, extra, field):
    api_client.force_authenticate(alice)
    response = upload(api_client, name, content, **extra)
    assert response.status_code == 400 and field in response.json()["errors"]
    assert not PhiScan.objects.exists()


def test_csv_cells_are_scanned_separately(api_client, alice):
    api_client.force_authenticate(alice)
    scan_id = upload(api_client, "list.csv", b"name,phone\nJOHN SMITH,617-555-0100\n").json()["id"]
    phi_scan_run.run(PhiScan.objects.get(public_id=scan_id).pk)
    findings = api_client.get(f"/api/v1/phi-scans/{scan_id}").json()["findings"]
    assert {(f["document"], f["type"]) for f in findings} >= {("r2c1", "NAME"), ("r2c2", "PHONE")}


def test_scans_need_phi_scan_run_and_stay_in_their_organisation(api_client, alice, bob, charlie):
    api_client.force_authenticate(alice)
    scan_id = upload(api_client, "n.txt", b"JOHN SMITH").json()["id"]
    api_client.force_authenticate(bob)
    assert api_client.get(f"/api/v1/phi-scans/{scan_id}").status_code == 403
    api_client.force_authenticate(charlie)
    assert api_client.get(f"/api/v1/phi-scans/{scan_id}").status_code == 404
    assert api_client.get("/api/v1/phi-scans").json()["results"] == []


def test_console_upload_queues_a_scan_and_shows_counts(client, alice):
    client.force_login(alice)
    response = client.post("/scans/", {"file": SimpleUploadedFile("n.txt", b"SEEN BY DR. QUACKENBUSH 7/22")})
    assert response.status_code == 302
    scan = PhiScan.objects.get()
    phi_scan_run.run(scan.pk)
    table = client.get("/scans/table").content.decode()
    assert "NAME 1" in table and "DATE 1" in table and "QUACKENBUSH" not in table
    redacted = client.get(f"/scans/{scan.public_id}/redacted").content.decode()
    assert redacted == "SEEN BY DR. [REDACTED NAME] [REDACTED DATE]"
    empty = client.post("/scans/", {"file": SimpleUploadedFile("e.txt", b"")})
    assert empty.status_code == 200 and "empty" in empty.content.decode()


def test_jsonl_ids_are_never_echoed(api_client, alice):
    """An upload's own ids may be MRNs or names: documents are named by line number instead."""
    api_client.force_authenticate(alice)
    rows = [{"id": "MRN 00981234 Quackenbush", "text": "Seen by Dr. Smith on 3/14/2024."}]
    scan_id = upload(api_client, "ids.jsonl", "\n".join(json.dumps(r) for r in rows).encode()).json()["id"]
    phi_scan_run.run(PhiScan.objects.get(public_id=scan_id).pk)
    detail = api_client.get(f"/api/v1/phi-scans/{scan_id}").json()
    redacted = api_client.get(f"/api/v1/phi-scans/{scan_id}/redacted").content.decode()
    assert {f["document"] for f in detail["findings"]} == {"line1"}
    for leak in ("00981234", "Quackenbush"):
        assert leak not in json.dumps(detail) and leak not in redacted


def test_scans_are_listed_by_file_name_sealed_at_rest_with_a_detail_page(client, alice):
    from django.db import connection

    client.force_login(alice)
    client.post("/scans/", {"file": SimpleUploadedFile("ward-7-handoff.txt", b"SEEN BY DR. QUACKENBUSH 7/22")})
    scan = PhiScan.objects.get()
    phi_scan_run.run(scan.pk)
    table = client.get("/scans/table").content.decode()
    assert f'<a href="/scans/{scan.public_id}/">ward-7-handoff.txt</a>' in table
    detail = client.get(f"/scans/{scan.public_id}/").content.decode()
    assert "ward-7-handoff.txt" in detail and 'data-type="NAME"' in detail and "QUACKENBUSH" not in detail
    with connection.cursor() as cursor:  # the name may carry PHI: stored sealed, never in the clear
        cursor.execute("SELECT filename FROM scans_phiscan")
        (stored,) = cursor.fetchone()
    assert b"ward-7-handoff" not in bytes(stored if isinstance(stored, bytes | memoryview) else str(stored).encode())


def test_a_file_that_is_not_text_is_refused_on_the_field(client, api_client, alice):
    client.force_login(alice)
    pdf = client.post("/scans/", {"file": SimpleUploadedFile("scan.pdf", b"%PDF-1.7\n\x00\x01\x02binary")})
    assert pdf.status_code == 200 and "not a text file" in pdf.content.decode()
    api_client.force_authenticate(alice)
    latin1 = upload(api_client, "note.txt", "Seen by Dr. Müller".encode("latin-1"))
    assert latin1.status_code == 400 and "file" in latin1.json()["errors"]
    assert not PhiScan.objects.exists()
