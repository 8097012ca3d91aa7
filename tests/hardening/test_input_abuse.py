"""Input abuse: a body, upload or prompt over its limit is a 413 that says which limit; malformed JSON, wrong
types, unknown fields and unknown ids are a 400 naming the field; a file name cannot reach outside its place."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accessctl.actor import Actor
from compliance.baa import baa_attach_document
from compliance.evidence import EvidenceSpec, evidence_add
from compliance.models import BusinessAssociateAgreement, ChecklistEvidence
from core.uploads import safe_filename
from deployments.gateway import MAX_PROMPT_CHARS
from incidents.models import Incident
from scans.models import PhiScan
from tests.deployments.fakes import use_echo_provider
from tests.deployments.test_gateway import make_deployment
from tests.hardening.world import PDF
from tests.incidents.helpers import notifiable_incident

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"
BOUNDARY = "paitient-test-boundary"
TRAVERSALS = [
    b"../../etc/passwd",
    b"..\\..\\Windows\\win.ini.pdf",
    b"/etc/cron.d/evil.pdf",
    b"signed\x00.pdf",
    b"agreement\r\nContent-Type: text/html.pdf",
    b"....//....//x.pdf",
]


@pytest.fixture
def api(alice) -> APIClient:
    client = APIClient(HTTP_HOST="localhost")
    client.force_authenticate(alice)
    return client


@pytest.fixture
def baa_id(api) -> str:
    today = timezone.localdate()
    body = {"counterparty": "Cloud Host LLC", "effective_date": str(today),
            "expiry_date": str(today.replace(year=today.year + 1))}  # fmt: skip
    response = api.post("/api/v1/baas", body, format="json")
    assert response.status_code == 201, response.json()
    return str(response.json()["id"])


def multipart(files: dict[str, tuple[bytes, bytes]], fields: dict[str, str] | None = None) -> tuple[bytes, str]:
    """A multipart body written by hand: the test client would strip the path from a file name itself."""
    parts = [
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in (fields or {}).items()
    ]
    for name, (filename, content) in files.items():
        parts.append(
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"; filename="'.encode()
            + filename
            + b'"\r\nContent-Type: application/octet-stream\r\n\r\n'
            + content
            + b"\r\n"
        )
    parts.append(f"--{BOUNDARY}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={BOUNDARY}"


def send(api: APIClient, method: str, path: str, body: bytes, content_type: str) -> Any:
    data: Any = body  # the test client sends bytes as they are (its stub says str)
    return api.generic(method, path, data, content_type=content_type)


def problem_of(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"] == PROBLEM
    body: dict[str, Any] = response.json()
    assert body["status"] == status and body["type"].startswith("https://")
    return body


# --- 413: bodies, uploads, prompts -----------------------------------------------------------------------------


def test_a_json_body_over_the_request_limit_is_refused_before_it_is_read(api, settings):
    settings.PAITIENT_MAX_REQUEST_BYTES = 4096
    body = json.dumps({"title": "x" * 5000}).encode()
    problem = problem_of(send(api, "POST", "/api/v1/incidents", body, "application/json"), 413)
    assert "at most 4 KB" in problem["detail"]
    assert not Incident.objects.exists()


def test_a_3_mb_json_body_is_a_413_with_the_default_limits_not_a_500(api):
    body = json.dumps({"title": "x" * 3_000_000}).encode()
    problem = problem_of(send(api, "POST", "/api/v1/incidents", body, "application/json"), 413)
    assert "at most 1 MB" in problem["detail"]


def test_a_body_django_stops_reading_is_a_413_not_a_500(api, settings):
    """The Content-Length passed (or lied), but Django's own limit stopped the read: still a 413."""
    settings.PAITIENT_MAX_REQUEST_BYTES = 10_000_000
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 4096
    json_body = json.dumps({"title": "x" * 5000}).encode()
    problem_of(send(api, "POST", "/api/v1/incidents", json_body, "application/json"), 413)
    form_body, content_type = multipart({"file": (b"a.txt", b"text")},
                                        {"item": "documentation", "kind": "policy", "title": "t" * 5000})  # fmt: skip
    problem_of(send(api, "POST", "/api/v1/compliance/evidence", form_body, content_type), 413)


UPLOADS = [
    ("PUT", "/api/v1/baas/{baa_id}/document", "document", {}),
    ("POST", "/api/v1/compliance/evidence", "file", {"item": "documentation", "kind": "policy", "title": "Policy"}),
    ("POST", "/api/v1/phi-scans", "file", {}),
]


@pytest.mark.parametrize(("method", "path", "field", "fields"), UPLOADS, ids=["baa", "evidence", "phi-scan"])
def test_an_upload_over_the_upload_limit_is_a_413_naming_the_file_and_nothing_is_stored(
    api, baa_id, settings, method, path, field, fields
):
    settings.PAITIENT_MAX_UPLOAD_BYTES = 64 * 1024
    path = path.format(baa_id=baa_id)
    fits, content_type = multipart({field: (b"big.pdf", PDF + b" " * (64 * 1024 - len(PDF)))}, fields)
    too_big, content_type = multipart({field: (b"big.pdf", PDF + b" " * (64 * 1024 + 1 - len(PDF)))}, fields)
    problem = problem_of(send(api, method, path, too_big, content_type), 413)
    assert problem["errors"] == {field: ["The file is 65537 bytes; at most 64 KB is accepted."]}
    assert BusinessAssociateAgreement.objects.get(public_id=baa_id).document_sha256 == ""
    assert not ChecklistEvidence.objects.exists() and not PhiScan.objects.exists()
    assert send(api, method, path, fits, content_type).status_code in {200, 201, 202}


@pytest.mark.parametrize(("method", "path", "field", "fields"), UPLOADS, ids=["baa", "evidence", "phi-scan"])
def test_a_multipart_body_larger_than_an_upload_and_its_fields_is_refused_unread(
    api, baa_id, settings, method, path, field, fields
):
    settings.PAITIENT_MAX_UPLOAD_BYTES = 64 * 1024
    settings.PAITIENT_MAX_REQUEST_BYTES = 4096
    body, content_type = multipart({field: (b"big.pdf", PDF + b" " * (70 * 1024))}, fields)
    problem = problem_of(send(api, method, path.format(baa_id=baa_id), body, content_type), 413)
    assert "at most 68 KB" in problem["detail"]


def test_a_file_to_scan_has_its_own_smaller_limit(api, settings):
    settings.PAITIENT_MAX_SCAN_BYTES = 1024
    body, content_type = multipart({"file": (b"notes.txt", b"x" * 1025)})
    problem = problem_of(send(api, "POST", "/api/v1/phi-scans", body, content_type), 413)
    assert problem["errors"] == {"file": ["The file is 1025 bytes; at most 1 KB is accepted."]}
    assert not PhiScan.objects.exists()


def test_a_prompt_over_the_limit_is_a_413_naming_it_and_never_reaches_the_model(api, acme, monkeypatch):
    echo = use_echo_provider(monkeypatch)
    deployment = make_deployment(acme)
    url = f"/api/v1/deployments/{deployment.public_id}/generate"
    longest = "a" * MAX_PROMPT_CHARS
    assert api.post(url, {"prompt": longest, "max_tokens": 8}, format="json").status_code == 200
    problem = problem_of(api.post(url, {"prompt": longest + "a", "max_tokens": 8}, format="json"), 413)
    assert problem["errors"] == {"prompt": [f"The prompt is {MAX_PROMPT_CHARS + 1} characters; at most 32000."]}
    assert echo.prompts == [longest]


def test_an_oversized_console_form_is_a_plain_413(client, settings):
    settings.PAITIENT_MAX_REQUEST_BYTES = 4096
    form = urlencode({"username": "alice", "password": "x" * 5000})
    response = client.post("/login/", form, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 413
    assert response["Content-Type"].startswith("text/plain")


# --- 400 naming the field, one representative call per endpoint family ----------------------------------------

JSON = "application/json"
BAD_INPUT = [
    # (id, method, path, body (str: sent raw), expected field)
    ("malformed-json", "POST", "/api/v1/incidents", '{"title": ', "body"),
    ("json-not-an-object", "POST", "/api/v1/baas", "[1, 2]", "non_field_errors"),
    ("incident-wrong-type", "POST", "/api/v1/incidents", {"title": 5}, "title"),
    ("incident-unknown-owner", "POST", "/api/v1/incidents", {"title": "Lost laptop", "owner_id": "user_nobody"},
     "owner_id"),
    ("incident-note-wrong-type", "POST", "/api/v1/incidents/{incident_id}/notes", {"text": ["a"]}, "text"),
    ("incident-events-unknown-id", "POST", "/api/v1/incidents/{incident_id}/events", {"event_ids": ["evt_nope"]},
     "event_ids"),
    ("assessment-overflow", "POST", "/api/v1/incidents/{incident_id}/assessment",
     {"nature_extent": "limited", "recipient": "covered_entity", "acquired": "unknown", "mitigation": "full",
      "affected_individuals": 10**30}, "affected_individuals"),
    ("thresholds-out-of-range", "PATCH", "/api/v1/incidents/thresholds", {"denial_count": 0}, "denial_count"),
    ("deployment-unknown-field", "POST", "/api/v1/deployments",
     {"modle_name": "HuggingFaceTB/SmolLM2-135M-Instruct", "deployment_name": "x"}, "modle_name"),
    ("generate-wrong-type", "POST", "/api/v1/deployments/{deployment_id}/generate",
     {"prompt": "hello", "max_tokens": "32"}, "max_tokens"),
    ("generate-bad-mode", "POST", "/api/v1/deployments/{deployment_id}/generate",
     {"prompt": "hello", "security_settings": {"phi_handling": "sometimes"}}, "security_settings.phi_handling"),
    ("baa-bad-date", "POST", "/api/v1/baas",
     {"counterparty": "Cloud Host", "effective_date": "tomorrow", "expiry_date": "2030-01-01"}, "effective_date"),
    ("baa-unknown-action", "POST", "/api/v1/baas/{baa_id}/actions", {"action": "shred"}, "action"),
    ("evidence-unknown-owner", "POST", "/api/v1/compliance/evidence",
     {"item": "documentation", "kind": "policy", "title": "Policy", "link": "https://example.org/p",
      "owner_id": "user_nobody"}, "owner_id"),
    ("settings-wrong-type", "PATCH", "/api/v1/organization/security-settings",
     {"access_control": {"require_mfa": "yes"}}, "access_control.require_mfa"),
    ("settings-unknown-nested", "PATCH", "/api/v1/organization/security-settings",
     {"compliance": {"hipaa_mode": True}}, "compliance.hipaa_mode"),
    ("role-assignment-unknown-user", "POST", "/api/v1/role-assignments",
     {"user_id": "user_nobody", "role_name": "auditor"}, "user_id"),
    ("api-key-wrong-type", "POST", "/api/v1/api-keys", {"name": "ci", "expires_at": 1700000000}, "expires_at"),
    ("emergency-wrong-type", "POST", "/api/v1/emergency-access/requests",
     {"resource": "deployment/x", "permissions": "text:generate", "reason": "Code blue, clinician unreachable."},
     "permissions"),
    ("report-unknown-choice", "POST", "/api/v1/reports", {"output_format": "docx"}, "output_format"),
    ("query-nul-byte", "GET", "/api/v1/incidents?status=open%00", None, "status"),
    ("query-nul-byte-in-name", "GET", "/api/v1/alerts?rule%00=x", None, "rule\x00"),
    ("audit-query-bad-id", "GET", "/api/v1/audit-logs?user_id=robert');DROP TABLE x;--", None, "user_id"),
    ("audit-query-empty", "GET", "/api/v1/audit-logs?end_time=", None, "end_time"),
    ("audit-proof-not-a-number", "GET", "/api/v1/audit-logs/consistency?first=x&second=1", None, "first"),
    ("checklist-history-range", "GET", "/api/v1/compliance/checklist/history?limit=-1", None, "limit"),
    ("page-size", "GET", "/api/v1/roles?page_size=0", None, "page_size"),
    ("page-size-not-a-number", "GET", "/api/v1/api-keys?page_size=true", None, "page_size"),
    ("cursor", "GET", "/api/v1/audit-logs?cursor=not-a-cursor", None, "cursor"),
    ("scan-format", "POST", "/api/v1/phi-scans", "multipart:format=", "format"),
]  # fmt: skip


@pytest.mark.parametrize(("method", "path", "body", "field"), [case[1:] for case in BAD_INPUT],
                         ids=[case[0] for case in BAD_INPUT])  # fmt: skip
def test_bad_input_is_a_400_naming_the_field(api, acme, baa_id, method, path, body, field):
    ids = {"incident_id": notifiable_incident(acme).public_id, "deployment_id": make_deployment(acme).public_id,
           "baa_id": baa_id}  # fmt: skip
    path = path.format(**ids)
    if body is None:
        response = api.generic(method, path)
    elif body == "multipart:format=":
        raw, content_type = multipart({"file": (b"notes.txt", b"Seen on 01/02/2024.")}, {"format": ""})
        response = send(api, method, path, raw, content_type)
    else:
        raw_body = body.encode() if isinstance(body, str) else json.dumps(body).encode()
        response = send(api, method, path, raw_body, JSON)
    problem = problem_of(response, 400)
    assert field in problem["errors"], problem
    assert field in problem["detail"]


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/deployments/..%2F..%2Fetc%2Fpasswd",
        "/api/v1/baas/' OR '1'='1",
        "/api/v1/incidents/inc_%00",
        "/api/v1/reports/" + "r" * 5000,
        "/api/v1/phi-scans/%E2%80%AE",
    ],
)
def test_an_unknown_or_garbage_id_in_a_path_is_a_404_problem(api, path):
    problem = problem_of(api.get(path), 404)
    assert "passwd" not in json.dumps(problem) and "OR" not in problem["detail"]


# --- file names ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", TRAVERSALS)
def test_a_baa_document_name_keeps_no_path_and_the_download_never_reflects_it(api, baa_id, name):
    body, content_type = multipart({"document": (name, PDF)})
    response = send(api, "PUT", f"/api/v1/baas/{baa_id}/document", body, content_type)
    assert response.status_code == 200, response.content[:300]
    stored = BusinessAssociateAgreement.objects.get(public_id=baa_id).document_name
    assert response.json()["document_name"] == stored
    assert_harmless(stored)
    download = api.get(f"/api/v1/baas/{baa_id}/document")
    assert download["Content-Disposition"] == f'attachment; filename="{baa_id}.pdf"'


@pytest.mark.parametrize("name", TRAVERSALS)
def test_an_evidence_file_name_keeps_no_path_and_the_download_never_reflects_it(api, name):
    fields = {"item": "documentation", "kind": "policy", "title": "Policy"}
    body, content_type = multipart({"file": (name, b"Our security policy.")}, fields)
    response = send(api, "POST", "/api/v1/compliance/evidence", body, content_type)
    assert response.status_code == 201, response.content[:300]
    evidence = response.json()
    assert_harmless(evidence["file"]["name"])
    download = api.get(f"/api/v1/compliance/evidence/{evidence['id']}/file")
    assert download["Content-Disposition"] == f'attachment; filename="{evidence["id"]}.txt"'


def test_services_clean_names_that_did_not_come_through_a_form_parser(acme, alice, baa_id):
    actor = Actor(organization=acme, user=alice)
    baa = BusinessAssociateAgreement.objects.get(public_id=baa_id)
    baa_attach_document(actor=actor, baa=baa, name="../../etc/passwd\x00.pdf", content=PDF)
    assert BusinessAssociateAgreement.objects.get(pk=baa.pk).document_name == "passwd.pdf"
    spec = EvidenceSpec(item="documentation", kind="policy", title="Policy", content=b"text",
                        file_name="..\\..\\boot.ini")  # fmt: skip
    assert evidence_add(actor=actor, spec=spec).file_name == "boot.ini"


def test_an_accepted_upload_is_never_spooled_to_a_temporary_file(api, settings, tmp_path):
    """Django writes uploads over 2.5 MB to a plaintext temp file; one within our limit stays in memory."""
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    body, content_type = multipart({"file": (b"../../notes.txt", b"Patient notes. " * 200_000)})  # 3 MB
    response = send(api, "POST", "/api/v1/compliance/evidence", body, content_type)
    assert response.status_code == 400  # the fields are missing; the file was read all the same
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("../../etc/passwd", "passwd"),
        ("..\\..\\x.pdf", "x.pdf"),
        ("C:\\Users\\a\\scan.pdf", "scan.pdf"),
        ("a\x00b\r\n.pdf", "ab.pdf"),
        ('quote".pdf', "quote.pdf"),
        ("..", "fallback"),
        ("", "fallback"),
        ("\u202eevil.pdf", "evil.pdf"),
        ("x" * 300 + ".pdf", "x" * 196 + ".pdf"),
    ],
)
def test_safe_filename(name, safe):
    assert safe_filename(name, "fallback") == safe


def assert_harmless(name: str) -> None:
    assert name and not set(name) & {"/", "\\", "\x00", "\r", "\n", '"'}
    assert ".." not in name
