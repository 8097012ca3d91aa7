"""The PHI-bearing flows the hardening tests run, and a distinctive fake patient (the canary) to run them with.

Each flow is one REST call (or a short sequence) as a client would make it; the canary test runs them and then
searches everything the service keeps, the fail-closed test runs them with a safeguard broken."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from rest_framework.test import APIClient

from accessctl.models import Organization, User
from tests.conftest import grant
from tests.factories import UserFactory

CANARY_NAME = "Zebulon Quackenbush"
CANARY_MRN = "MRN-7734219"
CANARY_SSN = "512-44-9087"
CANARY_DOB = "03/17/1951"
# What must never be found in plaintext: each value, the name's parts, the SSN without its dashes.
CANARY_VALUES = (CANARY_NAME, "Zebulon", "Quackenbush", CANARY_MRN, CANARY_SSN, "512449087", CANARY_DOB)
CANARY_TEXT = (
    f"Patient {CANARY_NAME} (MRN: {CANARY_MRN}, SSN: {CANARY_SSN}, DOB: {CANARY_DOB}) "
    "was admitted with chest pain; troponin pending."
)
# A minimal PDF whose bytes carry the canary, as a scanned agreement with a patient example might.
CANARY_PDF = (
    b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n"
    b"2 0 obj << /Length 120 >> stream\nBT (Example: " + CANARY_TEXT.encode() + b") Tj ET\nendstream endobj\n"
    b"trailer << /Root 1 0 R >>\n%%EOF\n"
)
PHI_MODES = ("detect", "redact", "de-identify", "reject")
EMERGENCY_POLICY = {"enabled": True, "authorized_roles": ["security-admin", "compliance-officer"],
                    "require_multi_approval": True, "access_duration_hours": 4}  # fmt: skip


def found_canaries(text: str) -> list[str]:
    """The canary values `text` holds (case-insensitive): an empty list is a pass."""
    lowered = text.lower()
    return [value for value in CANARY_VALUES if value.lower() in lowered]


def generate(client: APIClient, deployment_id: str, mode: str, prompt: str = CANARY_TEXT) -> Any:
    settings: dict[str, Any] = {"phi_handling": mode}
    if mode == "de-identify":
        settings["subject_id"] = CANARY_MRN  # a client may well key date shifting by the patient's MRN
    body = {"prompt": prompt, "max_tokens": 64, "security_settings": settings}
    return client.post(f"/api/v1/deployments/{deployment_id}/generate", body, format="json")


def create_external_deployment(client: APIClient, url: str, api_key: str, name: str = "partner-llm") -> Any:
    body = {"model_name": "HuggingFaceTB/SmolLM2-135M-Instruct", "deployment_name": name, "provider": "external",
            "endpoint": {"url": url, "api_key": api_key, "model": "remote-smol"}}  # fmt: skip
    return client.post("/api/v1/deployments", body, format="json")


def upload_scan(client: APIClient, content: bytes = CANARY_TEXT.encode(), name: str = "Quackenbush-notes.txt") -> Any:
    return client.post("/api/v1/phi-scans", {"file": SimpleUploadedFile(name, content)}, format="multipart")


def request_report(client: APIClient, output_format: str = "json") -> Any:
    return client.post("/api/v1/reports", {"time_period": "last_7_days", "output_format": output_format},
                       format="json")  # fmt: skip


def open_incident(client: APIClient) -> str:
    response = client.post("/api/v1/incidents", {"title": "Misdirected discharge summary", "severity": "high"},
                           format="json")  # fmt: skip
    assert response.status_code == 201, response.json()
    return str(response.json()["id"])


def add_note(client: APIClient, incident_id: str) -> Any:
    text = f"Summary for {CANARY_NAME} ({CANARY_MRN}) was faxed to the wrong clinic; SSN {CANARY_SSN} visible."
    return client.post(f"/api/v1/incidents/{incident_id}/notes", {"text": text}, format="json")


def create_baa(client: APIClient) -> str:
    today = timezone.localdate()
    body = {"counterparty": "Mercy General Hospital", "counterparty_contact": "privacy@mercy.example",
            "effective_date": (today - timedelta(days=1)).isoformat(),
            "expiry_date": (today + timedelta(days=365)).isoformat()}  # fmt: skip
    response = client.post("/api/v1/baas", body, format="json")
    assert response.status_code == 201, response.json()
    return str(response.json()["id"])


def upload_baa_document(client: APIClient, baa_id: str) -> Any:
    document = SimpleUploadedFile("mercy-baa-signed.pdf", CANARY_PDF, content_type="application/pdf")
    return client.put(f"/api/v1/baas/{baa_id}/document", {"document": document}, format="multipart")


def emergency_people(client: APIClient, organization: Organization, admin: User) -> tuple[User, list[User]]:
    """Turn break-glass on (as `admin`) and add a nurse who may ask and two security admins who may approve."""
    client.force_authenticate(admin)
    response = client.patch("/api/v1/organization/security-settings", {"emergency_access": EMERGENCY_POLICY},
                            format="json")  # fmt: skip
    assert response.status_code == 200, response.json()
    nurse = UserFactory.create(username="nurse", organization=organization, email="nurse@acme.example")
    grant(nurse, organization, "compliance-officer")
    approvers = []
    for name in ("sec1", "sec2"):
        user = UserFactory.create(username=name, organization=organization, email=f"{name}@acme.example")
        grant(user, organization, "security-admin")
        approvers.append(user)
    return nurse, approvers


def ask_emergency_access(client: APIClient, nurse: User, resource: str) -> Any:
    client.force_authenticate(nurse)
    reason = f"Code blue: {CANARY_NAME}, {CANARY_MRN}, DOB {CANARY_DOB}; the attending is unreachable."
    body = {"resource": resource, "permissions": ["text:generate", "deployment:read"], "reason": reason}
    return client.post("/api/v1/emergency-access/requests", body, format="json")


def decide(client: APIClient, approver: User, request_id: str) -> Any:
    client.force_authenticate(approver)
    body = {"decision": "approve", "comment": f"Verified {CANARY_NAME} is in bed 4 with the charge nurse."}
    return client.post(f"/api/v1/emergency-access/requests/{request_id}/decisions", body, format="json")
