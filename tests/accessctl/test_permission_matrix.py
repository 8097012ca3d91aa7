"""Role by endpoint by tenant: every REST endpoint refuses whoever lacks its permission, and never shows or
changes another organisation's data. A new endpoint without a row here fails the coverage test."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient

from accessctl.api_keys import api_key_issue
from accessctl.models import Role
from accessctl.policy import BUILTIN_ROLES
from audit.models import AuditEvent
from compliance.models import BusinessAssociateAgreement
from deployments.models import CatalogModel, Deployment
from tests.conftest import grant
from tests.deployments.fakes import use_echo_provider
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
ROLES = [None, *BUILTIN_ROLES]


@dataclass(frozen=True)
class Case:
    method: str
    path: str
    permission: str | None  # None: any member may call it
    body: dict[str, object] | None = None


DEPLOYMENT_BODY: dict[str, object] = {
    "model_name": "ZimaBlueAI/HuatuoGPT-o1-8B",
    "deployment_name": "matrix-dep",
    "compute_type": "gpu",
    "instance_type": "g4dn.xlarge",
    "vpc_config": {"subnet_ids": ["subnet-abc123"], "security_group_ids": ["sg-123456"]},
}
BAA_BODY: dict[str, object] = {"counterparty": "Clinic", "effective_date": "2026-01-01", "expiry_date": "2027-01-01"}
EVIDENCE_BODY: dict[str, object] = {"item": "documentation", "kind": "policy", "title": "Policies",
                                    "link": "https://docs.example.org/policies"}  # fmt: skip
REPORT_BODY: dict[str, object] = {"time_period": "last_7_days", "include_sections": ["user_activity"],
                                  "output_format": "json"}  # fmt: skip
EMERGENCY_BODY: dict[str, object] = {
    "resource": "deployment/subject-dep",
    "permissions": ["text:generate"],
    "reason": "matrix: a long enough reason",
}
ASSESSMENT_BODY: dict[str, object] = {"nature_extent": "moderate", "recipient": "external", "acquired": "unknown",
                                      "mitigation": "partial", "affected_individuals": 3}  # fmt: skip
SIEM_BODY: dict[str, object] = {"name": "matrix-siem", "kind": "syslog", "host": "192.0.2.10"}
CASES = [
    Case("get", "/api/v1/me", None),
    Case("get", "/api/v1/organization/members", "user:read"),
    Case("get", "/api/v1/organization/security-settings", "settings:manage"),
    Case(
        "patch", "/api/v1/organization/security-settings", "settings:manage", {"access_control": {"require_mfa": False}}
    ),
    Case("get", "/api/v1/organization/sso", "settings:manage"),
    Case("patch", "/api/v1/organization/sso", "settings:manage", {"jit_provisioning": False}),
    Case("get", "/api/v1/roles", "role:manage"),
    Case("post", "/api/v1/roles", "role:manage", {"name": "matrix-role", "permissions": ["audit:read"]}),
    Case("get", "/api/v1/role-assignments", "role:manage"),
    Case("post", "/api/v1/role-assignments", "role:manage", {"user_id": "{subject}", "role_name": "matrix-reader"}),
    Case("delete", "/api/v1/users/{subject}/roles/{role}", "role:manage"),
    Case("post", "/api/v1/users/{subject}/unlock", "role:manage"),
    Case("get", "/api/v1/users", "user:read"),
    Case("get", "/api/v1/users/{subject}", "user:read"),
    Case("post", "/api/v1/users/{member}/deactivate", "user:manage"),
    Case("post", "/api/v1/users/{member}/reactivate", "user:manage"),
    Case("post", "/api/v1/users/{member}/password-reset", "user:manage"),
    Case("get", "/api/v1/invitations", "user:manage"),
    Case("post", "/api/v1/invitations", "user:manage", {"email": "matrix-invitee@example.org"}),
    Case("post", "/api/v1/invitations/{invitation}/resend", "user:manage"),
    Case("post", "/api/v1/invitations/{invitation}/revoke", "user:manage"),
    Case("get", "/api/v1/api-keys", None),
    Case("post", "/api/v1/api-keys", None, {"name": "own key"}),
    Case("delete", "/api/v1/api-keys/{subject_key}", "role:manage"),
    Case("get", "/api/v1/scim-tokens", "user:manage"),
    Case("post", "/api/v1/scim-tokens", "user:manage", {"name": "matrix-idp"}),
    Case("delete", "/api/v1/scim-tokens/{scim_token}", "user:manage"),
    Case("get", "/api/v1/deployments", None),  # lists only what deployment:read patterns allow
    Case("post", "/api/v1/deployments", "deployment:create", DEPLOYMENT_BODY),
    Case("get", "/api/v1/deployments/{deployment}", "deployment:read"),
    Case("delete", "/api/v1/deployments/{deployment}", "deployment:delete"),
    Case("get", "/api/v1/baas", "baa:read"),
    Case("post", "/api/v1/baas", "baa:manage", BAA_BODY),
    Case("get", "/api/v1/baas/{baa}", "baa:read"),
    Case("post", "/api/v1/baas/{baa}/actions", "baa:manage", {"action": "send"}),
    Case("put", "/api/v1/baas/{baa}/document", "baa:manage"),
    Case("get", "/api/v1/baas/{baa}/document", "baa:read"),
    Case("get", "/api/v1/compliance/checklist", "baa:read"),
    Case("get", "/api/v1/compliance/checklist/history", "baa:read"),
    Case("post", "/api/v1/compliance/evidence", "baa:manage", EVIDENCE_BODY),
    Case("delete", "/api/v1/compliance/evidence/{evidence}", "baa:manage"),
    Case("get", "/api/v1/compliance/evidence/{evidence}/file", "baa:read"),
    Case("get", "/api/v1/emergency-access/requests", None),  # requesters see their own, approvers all
    Case("post", "/api/v1/emergency-access/requests", "emergency:request", EMERGENCY_BODY),
    Case("get", "/api/v1/emergency-access/requests/{emergency}", None),
    Case(
        "post",
        "/api/v1/emergency-access/requests/{emergency}/decisions",
        "emergency:approve",
        {"decision": "approve", "comment": "checked"},
    ),
    Case("post", "/api/v1/emergency-access/requests/{emergency}/revoke", None),
    Case("post", "/api/v1/emergency-access/requests/{emergency}/review", "emergency:approve", {"notes": "ok"}),
    Case("get", "/api/v1/emergency-access/requests/{emergency}/activity", None),
    Case("post", "/api/v1/deployments/{deployment}/generate", "text:generate", {"prompt": "What is HbA1c?"}),
    Case("post", "/api/v1/disclosures/search", "disclosure:read", {"mrn": "4455667"}),
    Case("post", "/api/v1/disclosures/export", "disclosure:read", {"mrn": "4455667"}),
    Case("get", "/api/v1/phi-scans", "phi_scan:run"),
    Case("post", "/api/v1/phi-scans", "phi_scan:run"),
    Case("get", "/api/v1/phi-scans/{scan}", "phi_scan:run"),
    Case("get", "/api/v1/phi-scans/{scan}/redacted", "phi_scan:run"),
    Case("get", "/api/v1/reports", "report:read"),
    Case("post", "/api/v1/reports", "report:generate", REPORT_BODY),
    Case("get", "/api/v1/reports/{report}", "report:read"),
    Case("get", "/api/v1/reports/{report}/download", "report:read"),
    Case("get", "/api/v1/incidents", "incident:manage"),
    Case("post", "/api/v1/incidents", "incident:manage", {"title": "matrix incident"}),
    Case("get", "/api/v1/incidents/thresholds", "incident:manage"),
    Case("patch", "/api/v1/incidents/thresholds", "incident:manage", {"denial_count": 12}),
    Case("get", "/api/v1/incidents/{incident}", "incident:manage"),
    Case("patch", "/api/v1/incidents/{incident}", "incident:manage", {"status": "investigating"}),
    Case("post", "/api/v1/incidents/{incident}/notes", "incident:manage", {"text": "matrix note"}),
    Case("post", "/api/v1/incidents/{incident}/events", "incident:manage", {"event_ids": ["evt_missing00000"]}),
    Case("post", "/api/v1/incidents/{incident}/assessment", "incident:manage", ASSESSMENT_BODY),
    Case("get", "/api/v1/incidents/{incident}/deadlines", "incident:manage"),
    Case(
        "post",
        "/api/v1/incidents/{incident}/notifications",
        "incident:manage",
        {"kind": "individual", "notified_on": "2025-01-02"},
    ),
    Case("get", "/api/v1/incidents/{incident}/notices", "incident:manage"),
    Case("post", "/api/v1/incidents/{incident}/notices", "incident:manage", {"kind": "individual"}),
    Case("get", "/api/v1/incidents/{incident}/notices/{notice}", "incident:manage"),
    Case("get", "/api/v1/alerts", "incident:manage"),
    Case("get", "/api/v1/access-reviews", "access:review"),
    Case("post", "/api/v1/access-reviews", "access:review", {"name": "matrix review"}),
    Case("get", "/api/v1/access-reviews/schedule", "settings:manage"),
    Case("patch", "/api/v1/access-reviews/schedule", "settings:manage", {"review_days": 20}),
    Case("get", "/api/v1/access-reviews/{review}", "access:review"),
    Case("post", "/api/v1/access-reviews/{review}/items/{review_item}/decision", "access:review", {"decision": "keep"}),
    Case("post", "/api/v1/access-reviews/{review}/sign-off", "access:review"),
    Case("get", "/api/v1/audit-logs", "audit:read"),
    Case("post", "/api/v1/audit-logs/export", "audit:export"),
    Case("get", "/api/v1/audit-logs/checkpoints", "audit:read"),
    Case("get", "/api/v1/audit-logs/consistency", "audit:read"),
    Case("get", "/api/v1/audit-logs/{event}/proof", "audit:read"),
    Case("get", "/api/v1/siem/destinations", "audit:read"),
    Case("post", "/api/v1/siem/destinations", "audit:manage", SIEM_BODY),
    Case("get", "/api/v1/siem/destinations/{siem}", "audit:read"),
    Case("put", "/api/v1/siem/destinations/{siem}", "audit:manage", {"name": "s", "kind": "syslog", "host": "x"}),
    Case("delete", "/api/v1/siem/destinations/{siem}", "audit:manage"),
    Case("get", "/api/v1/siem/ocsf", "audit:export"),
]
PUBLIC = {"/api/v1/"}


def api_routes() -> set[str]:
    routes: set[str] = set()

    def walk(patterns: list[URLPattern | URLResolver], prefix: str) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, prefix + str(pattern.pattern))
            else:
                routes.add("/" + prefix + str(pattern.pattern))

    walk(get_resolver().url_patterns, "")
    return {route for route in routes if route.startswith("/api/v1/")}


def normalise(path: str) -> str:
    return (
        path.replace("{subject}", "<str:user_id>")
        .replace("{member}", "<str:user_id>")
        .replace("{subject_key}", "<str:key_id>")
        .replace("{role}", "<str:role_name>")
        .replace("{deployment}", "<str:deployment_id>")
        .replace("{scan}", "<str:scan_id>")
        .replace("{baa}", "<str:baa_id>")
        .replace("{evidence}", "<str:evidence_id>")
        .replace("{emergency}", "<str:request_id>")
        .replace("{report}", "<str:report_id>")
        .replace("{incident}", "<str:incident_id>")
        .replace("{invitation}", "<str:invitation_id>")
        .replace("{notice}", "<str:notice_id>")
        .replace("{event}", "<str:event_id>")
        .replace("{scim_token}", "<str:token_id>")
        .replace("{review}", "<str:review_id>")
        .replace("{review_item}", "<str:item_id>")
        .replace("{siem}", "<str:destination_id>")
    )


def test_every_api_route_is_in_the_matrix():
    covered = {normalise(case.path) for case in CASES} | PUBLIC
    assert api_routes() <= covered, sorted(api_routes() - covered)


@pytest.fixture
def subject(acme):
    """An acme member the calls act upon, holding the auditor and matrix-reader roles and an API key (every holder
    of role:manage may grant or take matrix-reader: it needs only what all of them hold)."""
    user = UserFactory.create(username="subject", organization=acme)
    grant(user, acme, "auditor")
    Role.objects.create(organization=acme, name="matrix-reader", permissions=["audit:read"], resource_pattern="*")
    grant(user, acme, "matrix-reader")
    key, _ = api_key_issue(actor=None, organization=acme, user=user, name="subject key")
    deployment = Deployment.objects.create(
        organization=acme,
        name="subject-dep",
        model=CatalogModel.objects.get(name="ZimaBlueAI/HuatuoGPT-o1-8B"),
        provider="aws",
        compute_type="gpu",
        instance_type="g4dn.xlarge",
        state="ready",
    )
    baa = BusinessAssociateAgreement.objects.create(
        organization=acme, counterparty="Clinic", effective_date="2026-01-01", expiry_date="2027-01-01"
    )
    return user, key, deployment, baa


@pytest.fixture
def emergency(acme, subject):
    """A pending break-glass request by the subject."""
    from datetime import timedelta

    from django.utils import timezone

    from emergency.models import EmergencyAccessRequest

    return EmergencyAccessRequest.objects.create(
        organization=acme, requester=subject[0], reason="matrix reason", resource="deployment/subject-dep",
        permissions=["text:generate"], approvals_needed=2, duration_hours=4,
        pending_until=timezone.now() + timedelta(hours=24),
    )  # fmt: skip


@pytest.fixture
def invitation(acme, alice):
    """A pending invitation alice sent."""
    from accessctl.actor import Actor
    from accessctl.invitations import invitation_create

    return invitation_create(actor=Actor(organization=acme, user=alice), email="pending-invitee@example.org")


@pytest.fixture
def evidence(acme):
    """A breach procedure (an uploaded PDF) on acme's checklist."""
    from compliance.models import ChecklistEvidence

    content = b"%PDF-1.4 matrix procedure"
    return ChecklistEvidence.objects.create(
        organization=acme, item="incident_response", kind="breach_procedure", title="Procedure", file=content,
        file_name="procedure.pdf", file_type="application/pdf", file_sha256="0" * 64, file_size=len(content),
        effective_date="2026-01-01", expiry_date="2036-01-01",
    )  # fmt: skip


@pytest.fixture
def incident(acme):
    """An acme incident assessed as a notifiable breach, with a rendered notice."""
    from tests.incidents.helpers import notifiable_incident

    return notifiable_incident(acme)


@pytest.mark.parametrize("role", ROLES, ids=lambda r: r or "no-role")
@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.method} {c.path}")
def test_each_role_gets_exactly_what_it_is_granted(
    role, case, acme, subject, emergency, evidence, incident, invitation, monkeypatch
):
    use_echo_provider(monkeypatch)
    caller = UserFactory.create(username="caller", organization=acme)
    if role:
        grant(caller, acme, role)
    user, key, deployment, baa = subject
    # offboarding acts only on members holding nothing the caller could not grant: matrix-reader alone
    member = UserFactory.create(username="member", organization=acme)
    grant(member, acme, "matrix-reader")
    client = APIClient()
    client.force_authenticate(caller)
    path = (
        case.path.replace("{subject}", user.public_id)
        .replace("{member}", member.public_id)
        .replace("{subject_key}", key.public_id)
        .replace("{role}", "matrix-reader")
        .replace("{deployment}", deployment.public_id)
        .replace("{scan}", "scan_missing0000")
        .replace("{baa}", baa.public_id)
        .replace("{evidence}", evidence.public_id)
        .replace("{emergency}", emergency.public_id)
        .replace("{report}", "rpt_missing00000")
        .replace("{incident}", incident.public_id)
        .replace("{notice}", incident.notices.get().public_id)
        .replace("{event}", "evt_missing00000")
        .replace("{invitation}", invitation.public_id)
        .replace("{scim_token}", "scim_missing0000")
        .replace("{review}", "arv_missing00000")
        .replace("{review_item}", "ari_missing00000")
        .replace("{siem}", "siem_missing00000")
    )
    body = {k: (user.public_id if v == "{subject}" else v) for k, v in (case.body or {}).items()}
    response = getattr(client, case.method)(path, body or None, format="json")
    granted = case.permission is None or (role is not None and case.permission in BUILTIN_ROLES[role][1])
    if granted:
        assert response.status_code != 403, (role, case, response.content[:300])
        assert response.status_code < 500
    else:
        assert response.status_code == 403, (role, case, response.status_code)
        assert AuditEvent.objects.filter(event_type="access.denied", user_id=caller.public_id).exists()


def test_an_admin_never_reaches_another_organisations_data(alice, charlie, globex):
    theirs_key, _ = api_key_issue(actor=None, organization=globex, user=charlie, name="globex key")
    Role.objects.create(organization=globex, name="globex-only", permissions=["audit:read"])
    client = APIClient()
    client.force_authenticate(alice)
    assert client.delete(f"/api/v1/api-keys/{theirs_key.public_id}").status_code == 404
    assert client.delete(f"/api/v1/users/{charlie.public_id}/roles/org-admin").status_code == 400
    assignment = client.post("/api/v1/role-assignments", {"user_id": charlie.public_id, "role_name": "auditor"},
                             format="json")  # fmt: skip
    assert assignment.status_code == 400
    roles = {r["name"] for r in client.get("/api/v1/roles").json()["results"]}
    assert "globex-only" not in roles
    members = {m["user_id"] for m in client.get("/api/v1/organization/members").json()["results"]}
    assert charlie.public_id not in members
    assert charlie.public_id not in {u["id"] for u in client.get("/api/v1/users").json()["results"]}
    assert client.get(f"/api/v1/users/{charlie.public_id}").status_code == 404
    assert client.post(f"/api/v1/users/{charlie.public_id}/deactivate").status_code == 404
    assert client.post(f"/api/v1/users/{charlie.public_id}/password-reset").status_code == 404
    charlie.refresh_from_db()
    assert charlie.is_active
    keys = {k["id"] for k in client.get("/api/v1/api-keys").json()["results"]}
    assert theirs_key.public_id not in keys
    chains = {e["id"] for e in client.get("/api/v1/audit-logs?page_size=500").json()["results"]}
    globex_events = set(AuditEvent.objects.filter(chain=globex.public_id).values_list("event_id", flat=True))
    assert globex_events and not (chains & globex_events)
    theirs_key.refresh_from_db()
    assert theirs_key.revoked_at is None
    theirs_deployment = Deployment.objects.create(
        organization=globex,
        name="globex-dep",
        model=CatalogModel.objects.get(name="ZimaBlueAI/HuatuoGPT-o1-8B"),
        provider="aws",
        compute_type="gpu",
    )
    assert client.get(f"/api/v1/deployments/{theirs_deployment.public_id}").status_code == 404
    assert client.delete(f"/api/v1/deployments/{theirs_deployment.public_id}").status_code == 404
    generate = client.post(f"/api/v1/deployments/{theirs_deployment.public_id}/generate", {"prompt": "hi"},
                           format="json")  # fmt: skip
    assert generate.status_code == 404
    assert theirs_deployment.public_id not in {d["id"] for d in client.get("/api/v1/deployments").json()["results"]}


def test_another_organisations_baa_is_not_found(alice, globex):
    theirs = BusinessAssociateAgreement.objects.create(
        organization=globex, counterparty="Globex clinic", effective_date="2026-01-01", expiry_date="2027-01-01"
    )
    client = APIClient()
    client.force_authenticate(alice)
    assert client.get(f"/api/v1/baas/{theirs.public_id}").status_code == 404
    assert client.post(f"/api/v1/baas/{theirs.public_id}/actions", {"action": "send"}, format="json").status_code == 404
    assert client.get(f"/api/v1/baas/{theirs.public_id}/document").status_code == 404
    assert theirs.public_id not in {b["id"] for b in client.get("/api/v1/baas").json()["results"]}
    theirs.refresh_from_db()
    assert theirs.status == "draft"


def test_another_organisations_emergency_request_is_not_found(charlie, acme, subject, emergency):
    client = APIClient()
    client.force_authenticate(charlie)
    base = f"/api/v1/emergency-access/requests/{emergency.public_id}"
    assert client.get(base).status_code == 404
    assert (
        client.post(f"{base}/decisions", {"decision": "approve", "comment": "x" * 5}, format="json").status_code == 404
    )
    assert client.post(f"{base}/revoke").status_code == 404
    assert client.get(f"{base}/activity").status_code == 404
    emergency.refresh_from_db()
    assert emergency.status == "pending" and not emergency.decisions.exists()


def test_another_organisations_evidence_is_not_found(charlie, evidence):
    client = APIClient()
    client.force_authenticate(charlie)
    assert client.get(f"/api/v1/compliance/evidence/{evidence.public_id}/file").status_code == 404
    assert client.delete(f"/api/v1/compliance/evidence/{evidence.public_id}").status_code == 404
    checklist = client.get("/api/v1/compliance/checklist").json()
    listed = {e["id"] for item in checklist["items"] for e in item["evidence"]}
    assert evidence.public_id not in listed
    history = client.get("/api/v1/compliance/checklist/history").json()["results"]
    assert all(row["results"]["incident_response"]["status"] == "fail" for row in history)
    evidence.refresh_from_db()
    assert evidence.revoked_at is None


def test_another_organisations_incident_is_not_found(charlie, incident):
    client = APIClient()
    client.force_authenticate(charlie)
    base = f"/api/v1/incidents/{incident.public_id}"
    notice = incident.notices.get()
    assert client.get(base).status_code == 404
    assert client.patch(base, {"status": "investigating"}, format="json").status_code == 404
    assert client.post(f"{base}/notes", {"text": "theirs"}, format="json").status_code == 404
    assert client.post(f"{base}/assessment", ASSESSMENT_BODY, format="json").status_code == 404
    assert client.get(f"{base}/deadlines").status_code == 404
    assert client.post(f"{base}/notices", {"kind": "individual"}, format="json").status_code == 404
    assert client.get(f"{base}/notices/{notice.public_id}").status_code == 404
    assert incident.public_id not in {i["id"] for i in client.get("/api/v1/incidents").json()["results"]}
    assert client.get("/api/v1/alerts").json()["results"] == []
    incident.refresh_from_db()
    assert incident.status == "open" and not incident.notes.exists() and incident.assessments.count() == 1
