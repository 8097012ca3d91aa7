"""A small, complete organisation to fuzz against: one of each object the API names by id, and API keys.

Built through the services and the API as the seed's people would, so every path parameter has a real value."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from rest_framework.test import APIClient

from accessctl.actor import Actor
from accessctl.api_keys import api_key_issue
from accessctl.models import Organization, User
from accessctl.services import organization_get_or_create
from audit.models import AuditEvent
from audit.services import checkpoint_create, sequence_all
from reports.services import report_render, report_request
from scans.models import PhiScan
from scans.services import scan_run
from tests.conftest import grant
from tests.deployments.test_gateway import make_deployment
from tests.factories import UserFactory
from tests.incidents.helpers import notifiable_incident

PDF = b"%PDF-1.4\n% signed agreement\n%%EOF\n"
EMERGENCY_POLICY = {"enabled": True, "authorized_roles": ["security-admin", "compliance-officer"],
                    "require_multi_approval": True, "access_duration_hours": 4}  # fmt: skip


@dataclass
class World:
    organization: Organization
    tokens: dict[str, str]  # role name -> API key (psk_...)
    ids: dict[str, str] = field(default_factory=dict)  # path parameter name -> a real value


def _member(organization: Organization, username: str, role: str | None) -> User:
    user: User = UserFactory.create(username=username, organization=organization, email=f"{username}@acme.example")
    if role:
        grant(user, organization, role)
    return user


def _ok(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, (response.status_code, response.content[:500])
    body: dict[str, Any] = response.json()
    return body


def build_world() -> World:
    organization = organization_get_or_create(name="Acme Health")[0]
    alice = _member(organization, "alice", "org-admin")
    erin = _member(organization, "erin", "auditor")
    nurse = _member(organization, "nurse", "compliance-officer")
    approvers = [_member(organization, name, "security-admin") for name in ("sec1", "sec2")]
    tokens = {
        "org-admin": api_key_issue(actor=None, organization=organization, user=alice, name="fuzz admin")[1],
        "auditor": api_key_issue(actor=None, organization=organization, user=erin, name="fuzz auditor")[1],
    }
    spare, _ = api_key_issue(actor=None, organization=organization, user=nurse, name="spare")
    client = APIClient(HTTP_HOST="localhost")
    client.force_authenticate(alice)
    policy = {"emergency_access": EMERGENCY_POLICY}
    _ok(client.patch("/api/v1/organization/security-settings", policy, format="json"), 200)

    deployment = make_deployment(organization)
    today = timezone.localdate()
    agreement = {"counterparty": "Cloud Host LLC", "effective_date": str(today),
                 "expiry_date": str(today + timedelta(days=365))}  # fmt: skip
    baa = _ok(client.post("/api/v1/baas", agreement, format="json"), 201)
    document = {"document": _upload("baa.pdf", PDF)}
    _ok(client.put(f"/api/v1/baas/{baa['id']}/document", document, format="multipart"), 200)
    policy_file = {"item": "documentation", "kind": "policy", "title": "Security policy",
                   "file": _upload("policy.txt", b"Our policy.")}  # fmt: skip
    evidence = _ok(client.post("/api/v1/compliance/evidence", policy_file, format="multipart"), 201)
    notes = {"file": _upload("notes.txt", b"Seen by Dr. Maria Garcia.")}
    scan = _ok(client.post("/api/v1/phi-scans", notes, format="multipart"), 202)
    scan_run(PhiScan.objects.get(public_id=scan["id"]).pk)
    report = report_request(actor=Actor(organization=organization, user=alice), output_format="json",
                            include_sections=["user_activity"])  # fmt: skip
    report_render(report.pk)
    incident = notifiable_incident(organization)
    client.force_authenticate(nurse)
    ask = {"resource": f"deployment/{deployment.name}", "permissions": ["text:generate"],
           "reason": "Code blue in ICU bed 4; the assigned clinician is unreachable."}  # fmt: skip
    emergency = _ok(client.post("/api/v1/emergency-access/requests", ask, format="json"), 201)
    client.force_authenticate(approvers[0])
    _ok(client.post(f"/api/v1/emergency-access/requests/{emergency['id']}/decisions",
                    {"decision": "approve", "comment": "verified"}, format="json"), 200)  # fmt: skip
    sequence_all()
    checkpoint_create(organization.public_id)
    event = AuditEvent.objects.filter(chain=organization.public_id, seq__isnull=False).order_by("seq").first()
    assert event is not None
    return World(
        organization=organization,
        tokens=tokens,
        ids={
            "deployment_id": deployment.public_id,
            "baa_id": baa["id"],
            "evidence_id": evidence["id"],
            "scan_id": scan["id"],
            "report_id": report.public_id,
            "incident_id": incident.public_id,
            "notice_id": incident.notices.get().public_id,
            "request_id": emergency["id"],
            "event_id": event.event_id,
            "key_id": spare.public_id,
            "user_id": nurse.public_id,
            "role_name": "compliance-officer",
        },
    )


def _upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)
