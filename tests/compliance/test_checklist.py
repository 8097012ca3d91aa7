"""The live checklist: each item goes from fail to pass by changing live state, never by editing the item."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from accessctl.models import Membership
from audit.db_guard import drop_guard, install_guard
from audit.models import AuditEvent
from compliance.models import ChecklistEvidence, ChecklistSnapshot
from deployments.models import CatalogModel, Deployment
from deployments.services import deployment_transition
from encryption.models import OrganizationKey
from tests.conftest import grant
from tests.factories import UserFactory
from tests.reviews.helpers import completed_review

pytestmark = pytest.mark.django_db
SETTINGS = "/api/v1/organization/security-settings"
CHECKLIST = "/api/v1/compliance/checklist"
EVIDENCE = "/api/v1/compliance/evidence"
PDF = b"%PDF-1.7\n% breach notification procedure\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


def items(client) -> dict[str, dict[str, Any]]:
    response = client.get(CHECKLIST)
    assert response.status_code == 200, response.content[:300]
    return {item["key"]: item for item in response.json()["items"]}


def status(client, key: str) -> str:
    return str(items(client)[key]["status"])


def patch(client, body: dict[str, Any]) -> None:
    response = client.patch(SETTINGS, body, format="json")
    assert response.status_code == 200, response.json()


def upload(client, item: str, kind: str, content: bytes = PDF, name: str = "procedure.pdf", **fields: Any) -> Any:
    body = {
        "item": item,
        "kind": kind,
        "title": f"{kind} document",
        "file": SimpleUploadedFile(name, content),
        **fields,
    }
    return client.post(EVIDENCE, body, format="multipart")


def link(client, item: str, kind: str, **fields: Any) -> Any:
    body = {"item": item, "kind": kind, "title": f"{kind} link", "link": "https://docs.example.org/policy", **fields}
    return client.post(EVIDENCE, body, format="json")


@pytest.fixture
def admin_client(api_client, alice):
    api_client.force_authenticate(alice)
    return api_client


def test_the_checklist_lists_the_ten_items_with_citations(admin_client):
    listed = items(admin_client)
    assert list(listed) == [
        "baa",
        "hipaa_mode",
        "network_security",
        "access_controls",
        "encryption",
        "audit_logging",
        "phi_protection",
        "incident_response",
        "training",
        "documentation",
    ]
    assert listed["baa"]["citations"] == ["45 CFR 164.308(b)(1)", "45 CFR 164.502(e)"]
    assert listed["incident_response"]["citations"] == ["45 CFR 164.308(a)(6)", "45 CFR 164.404-164.410"]
    assert all(item["status"] in {"pass", "fail", "expiring", "not_evaluated"} for item in listed.values())


def aws_deployment(organization, name: str = "gpu-one", **extra: Any) -> Deployment:
    fields: dict[str, Any] = {"provider": "aws", "compute_type": "gpu", "instance_type": "g4dn.xlarge",
                              "state": "ready", **extra}  # fmt: skip
    return Deployment.objects.create(
        organization=organization, name=name, model=CatalogModel.objects.get(name="ZimaBlueAI/HuatuoGPT-o1-8B"),
        security_settings={"network_isolation": True, "private_endpoints": True}, **fields,
    )  # fmt: skip


def test_baa_passes_once_an_agreement_with_the_deployments_associate_is_signed_and_active(admin_client, acme):
    aws_deployment(acme)
    item = items(admin_client)["baa"]
    assert item["status"] == "fail"
    assert "No Business Associate Agreement with Amazon Web Services" in item["reasons"][0]
    assert "gpu-one" in item["reasons"][0]
    today = timezone.localdate()
    created = admin_client.post(
        "/api/v1/baas",
        {
            "counterparty": "Amazon Web Services",
            "business_associate": "aws",
            "effective_date": (today - timedelta(days=1)).isoformat(),
            "expiry_date": (today + timedelta(days=365)).isoformat(),
        },
        format="json",
    ).json()
    baa_id = created["id"]
    assert admin_client.post(f"/api/v1/baas/{baa_id}/actions", {"action": "send"}, format="json").status_code == 200
    assert "drafted, sent or signed but not active" in " ".join(items(admin_client)["baa"]["reasons"])
    admin_client.put(
        f"/api/v1/baas/{baa_id}/document", {"document": SimpleUploadedFile("baa.pdf", PDF)}, format="multipart"
    )
    signed = admin_client.post(
        f"/api/v1/baas/{baa_id}/actions", {"action": "sign", "signatory": "Pat Lee"}, format="json"
    )
    assert signed.json()["status"] == "active"
    item = items(admin_client)["baa"]
    assert item["status"] == "pass" and item["reasons"] == []
    assert item["facts"]["covered_by"] == {"aws": baa_id}


def test_baa_passes_with_only_the_local_runtime_and_an_aws_baa_covers_no_external_vendor(admin_client, acme):
    Deployment.objects.create(
        organization=acme, name="on-prem", model=CatalogModel.objects.get(name="HuggingFaceTB/SmolLM2-135M-Instruct"),
        provider="local", compute_type="cpu", state="ready", security_settings={"network_isolation": True},
    )  # fmt: skip
    item = items(admin_client)["baa"]
    assert item["status"] == "pass"
    assert item["facts"]["deployments_on_own_machine"] == ["on-prem"]
    assert "no BAA needed" in item["facts"]["own_machine"]
    _active_baa(admin_client, days_left=300)  # with AWS
    aws_deployment(acme, name="vendor-one", provider="external", endpoint_url="https://llm.vendor.example/v1")
    item = items(admin_client)["baa"]
    assert item["status"] == "fail" and "llm.vendor.example" in item["reasons"][0]
    assert item["facts"]["business_associates_without_baa"] == ["llm.vendor.example"]


def _active_baa(client, days_left: int, reminder_days: int = 7) -> str:
    today = timezone.localdate()
    baa = client.post(
        "/api/v1/baas",
        {
            "counterparty": "Amazon Web Services",
            "business_associate": "aws",
            "reminder_days": reminder_days,
            "effective_date": (today - timedelta(days=300)).isoformat(),
            "expiry_date": (today + timedelta(days=days_left)).isoformat(),
        },
        format="json",
    ).json()
    client.put(
        f"/api/v1/baas/{baa['id']}/document", {"document": SimpleUploadedFile("baa.pdf", PDF)}, format="multipart"
    )
    client.post(f"/api/v1/baas/{baa['id']}/actions", {"action": "send"}, format="json")
    client.post(f"/api/v1/baas/{baa['id']}/actions", {"action": "sign", "signatory": "Pat Lee"}, format="json")
    return str(baa["id"])


def test_baa_expiring_within_30_days_or_its_reminder_window_then_renewed(admin_client, acme):
    aws_deployment(acme)
    baa_id = _active_baa(admin_client, days_left=20)
    item = items(admin_client)["baa"]
    assert item["status"] == "expiring"
    assert "renew it" in item["reasons"][0]
    renewed = (timezone.localdate() + timedelta(days=400)).isoformat()
    response = admin_client.post(
        f"/api/v1/baas/{baa_id}/actions", {"action": "renew", "expiry_date": renewed}, format="json"
    )
    assert response.status_code == 200
    assert status(admin_client, "baa") == "pass"


def test_baa_in_its_own_reminder_window_is_expiring(admin_client, acme):
    aws_deployment(acme)
    _active_baa(admin_client, days_left=50, reminder_days=60)
    assert status(admin_client, "baa") == "expiring"


def test_hipaa_mode_passes_when_turned_on(admin_client):
    item = items(admin_client)["hipaa_mode"]
    assert item["status"] == "fail" and "HIPAA mode is off" in item["reasons"][0]
    patch(admin_client, {"compliance": {"hipaa": True}})
    assert status(admin_client, "hipaa_mode") == "pass"


def _deployment(organization, name: str, provider: str = "aws", **security: bool) -> Deployment:
    return Deployment.objects.create(
        organization=organization,
        name=name,
        model=CatalogModel.objects.get(name="ZimaBlueAI/HuatuoGPT-o1-8B"),
        provider=provider,
        compute_type="gpu",
        instance_type="g4dn.xlarge",
        state="ready",
        security_settings={"encryption_level": "maximum", **security},
    )


def test_network_security_names_exposed_deployments_until_they_are_stopped(admin_client, acme):
    item = items(admin_client)["network_security"]
    assert item["status"] == "pass" and item["facts"]["deployments"] == "0 deployments"
    _deployment(acme, "isolated-dep", network_isolation=True, private_endpoints=True)
    exposed = _deployment(acme, "open-dep", network_isolation=False, private_endpoints=False)
    item = items(admin_client)["network_security"]
    assert item["status"] == "fail"
    assert item["facts"]["without_network_isolation"] == ["open-dep"]
    assert item["facts"]["aws_without_private_endpoints"] == ["open-dep"]
    assert "open-dep" in item["reasons"][0] and "isolated-dep" not in " ".join(item["reasons"])
    assert admin_client.delete(f"/api/v1/deployments/{exposed.public_id}").status_code in {200, 202, 204}
    assert status(admin_client, "network_security") == "fail"  # still stopping: its resources still exist
    deployment_transition(deployment_id=exposed.pk, to="stopped", stage="deprovisioned")  # what the worker does
    item = items(admin_client)["network_security"]
    assert item["status"] == "pass" and item["facts"]["live_deployments"] == 1


def test_network_security_requires_private_endpoints_on_aws_only(admin_client, acme):
    _deployment(acme, "local-dep", provider="local", network_isolation=True)
    aws = _deployment(acme, "aws-dep", network_isolation=True)
    item = items(admin_client)["network_security"]
    assert item["status"] == "fail" and item["facts"]["aws_without_private_endpoints"] == ["aws-dep"]
    admin_client.delete(f"/api/v1/deployments/{aws.public_id}")
    deployment_transition(deployment_id=aws.pk, to="stopped")
    _deployment(acme, "aws-dep", network_isolation=True, private_endpoints=True)  # redeployed privately
    assert status(admin_client, "network_security") == "pass"


def test_access_controls_pass_once_mfa_is_required_and_every_member_enrolled(admin_client, acme, alice, bob):
    completed_review(acme)  # the periodic access review is current (tests/reviews cover it failing)
    item = items(admin_client)["access_controls"]
    assert item["status"] == "fail"
    assert item["facts"]["members_without_mfa"] == ["alice", "bob"]
    assert "2 of 2 active members have no confirmed MFA device." in item["reasons"]
    patch(admin_client, {"access_control": {"require_mfa": True}})
    item = items(admin_client)["access_controls"]
    assert item["status"] == "fail" and not any("not required" in r for r in item["reasons"])
    TOTPDevice.objects.create(user=alice, name="phone", confirmed=True)
    TOTPDevice.objects.create(user=bob, name="pending", confirmed=False)  # an unconfirmed device does not count
    assert items(admin_client)["access_controls"]["facts"]["members_without_mfa"] == ["bob"]
    TOTPDevice.objects.filter(user=bob).update(confirmed=True)
    item = items(admin_client)["access_controls"]
    assert item["status"] == "pass", item["reasons"]
    assert item["facts"]["members_with_mfa"] == 2


def test_access_controls_fail_on_long_sessions_and_too_many_admins(admin_client, acme, alice, bob):
    completed_review(acme)
    for user in (alice, bob):
        TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    patch(admin_client, {"access_control": {"require_mfa": True, "session_timeout_minutes": 120}})
    assert "Sessions time out after 120 minutes" in items(admin_client)["access_controls"]["reasons"][0]
    patch(admin_client, {"access_control": {"session_timeout_minutes": 15}})
    assert status(admin_client, "access_controls") == "pass"
    extra = [UserFactory.create(username=f"admin{i}", organization=acme) for i in range(2)]
    for user in extra:
        grant(user, acme, "org-admin")
        TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    item = items(admin_client)["access_controls"]
    assert item["status"] == "fail"
    assert "3 org-admins among 4 members: at most 2" in " ".join(item["reasons"])
    response = admin_client.delete(f"/api/v1/users/{extra[0].public_id}/roles/org-admin")
    assert response.status_code in {200, 204}
    assert status(admin_client, "access_controls") == "pass"


def test_encryption_passes_once_keys_exist_and_fails_when_the_hybrid_key_is_over_a_year_old(
    client, admin_client, alice, acme
):
    item = items(admin_client)["encryption"]
    assert item["status"] == "fail" and "no active encryption keys" in item["reasons"][0]
    assert item["facts"]["tls_enforced"] is True
    client.force_login(alice)
    assert client.post("/settings/keys/rotate", {"confirmed": "yes"}).status_code == 302
    item = items(admin_client)["encryption"]
    assert item["status"] == "pass" and item["facts"]["hybrid_key_age_days"] == 0
    OrganizationKey.objects.filter(organization=acme).update(created_at=timezone.now() - timedelta(days=340))
    assert status(admin_client, "encryption") == "expiring"
    OrganizationKey.objects.filter(organization=acme).update(created_at=timezone.now() - timedelta(days=400))
    item = items(admin_client)["encryption"]
    assert item["status"] == "fail" and "400 days ago" in item["reasons"][0]
    client.post("/settings/keys/rotate", {"confirmed": "yes"})
    assert status(admin_client, "encryption") == "pass"


def test_audit_logging_needs_a_year_of_retention(admin_client):
    patch(admin_client, {"compliance": {"log_retention_days": 90}})
    item = items(admin_client)["audit_logging"]
    assert item["status"] == "fail" and "kept 90 days" in item["reasons"][0]
    assert item["facts"]["audit_chain"]["ok"] is True
    assert "six years" in item["facts"]["documentation_retention"]
    patch(admin_client, {"compliance": {"log_retention_days": 365}})
    assert status(admin_client, "audit_logging") == "pass"


def test_audit_logging_fails_when_the_chain_is_tampered_with(admin_client, acme):
    assert status(admin_client, "audit_logging") == "pass"
    drop_guard(connection)
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE audit_auditevent SET outcome = 'denied' WHERE chain = %s AND seq = 1", [acme.public_id]
            )
    finally:
        install_guard(connection)
    item = items(admin_client)["audit_logging"]
    assert item["status"] == "fail" and "does not verify" in item["reasons"][0]
    assert item["facts"]["audit_chain"]["failed_seq"] == 1


def test_phi_protection_passes_when_detection_is_on(admin_client):
    patch(admin_client, {"compliance": {"phi_detection": False}})
    item = items(admin_client)["phi_protection"]
    assert item["status"] == "fail" and "PHI detection is off" in item["reasons"][0]
    patch(admin_client, {"compliance": {"phi_detection": True}})
    assert status(admin_client, "phi_protection") == "pass"


def test_incident_response_passes_with_a_current_breach_procedure_and_fails_when_revoked(admin_client):
    item = items(admin_client)["incident_response"]
    assert item["status"] == "fail" and "breach notification procedure" in item["reasons"][0]
    response = upload(admin_client, "incident_response", "breach_procedure")
    assert response.status_code == 201, response.json()
    evidence = response.json()
    assert evidence["id"].startswith("evd_") and evidence["file"]["type"] == "application/pdf"
    assert evidence["expiry_date"] == (timezone.localdate() + timedelta(days=365)).isoformat()  # a year by default
    item = items(admin_client)["incident_response"]
    assert item["status"] == "pass"
    assert [e["id"] for e in item["evidence"]] == [evidence["id"]]
    assert admin_client.delete(f"{EVIDENCE}/{evidence['id']}").status_code == 204
    assert status(admin_client, "incident_response") == "fail"
    assert admin_client.delete(f"{EVIDENCE}/{evidence['id']}").status_code == 400  # already revoked
    assert ChecklistEvidence.objects.get(public_id=evidence["id"]).revoked_at is not None  # kept, not deleted


def test_incident_response_is_expiring_when_the_procedure_lapses_soon_and_fails_once_lapsed(admin_client):
    today = timezone.localdate()
    upload(
        admin_client,
        "incident_response",
        "breach_procedure",
        effective_date=(today - timedelta(days=355)).isoformat(),
        expiry_date=(today + timedelta(days=10)).isoformat(),
    )
    assert status(admin_client, "incident_response") == "expiring"
    ChecklistEvidence.objects.update(expiry_date=today)
    item = items(admin_client)["incident_response"]
    assert item["status"] == "fail" and f"expired on {today.isoformat()}" in " ".join(item["reasons"])


def test_training_passes_once_every_member_has_a_current_record(admin_client, alice, bob):
    item = items(admin_client)["training"]
    assert item["status"] == "fail" and "2 of 2 active members have no current training record." in item["reasons"]
    response = upload(
        admin_client,
        "training",
        "training",
        content=b"HIPAA awareness 2026: completed\n",
        name="alice.txt",
        subject_user_id=alice.public_id,
    )
    assert response.status_code == 201, response.json()
    item = items(admin_client)["training"]
    assert item["status"] == "fail" and item["facts"]["members_without_training"] == ["bob"]
    assert link(admin_client, "training", "training", subject_user_id=bob.public_id).status_code == 201
    assert status(admin_client, "training") == "pass"
    bob_record = ChecklistEvidence.objects.get(subject_user=bob)
    bob_record.expiry_date = timezone.localdate() + timedelta(days=12)
    bob_record.save(update_fields=["expiry_date"])
    item = items(admin_client)["training"]
    assert item["status"] == "expiring" and item["facts"]["training_expiring"] == ["bob"]
    assert admin_client.delete(f"{EVIDENCE}/{bob_record.public_id}").status_code == 204
    assert status(admin_client, "training") == "fail"


def test_training_counts_only_active_members(admin_client, alice, bob, acme):
    link(admin_client, "training", "training", subject_user_id=alice.public_id)
    Membership.objects.filter(user=bob).update(is_active=False)  # bob left the organisation
    assert status(admin_client, "training") == "pass"


def test_documentation_needs_a_policy_reviewed_within_a_year(admin_client):
    assert status(admin_client, "documentation") == "fail"
    today = timezone.localdate()
    old = link(
        admin_client,
        "documentation",
        "policy",
        effective_date=(today - timedelta(days=400)).isoformat(),
        expiry_date=(today + timedelta(days=100)).isoformat(),
    )
    assert old.status_code == 201, old.json()
    item = items(admin_client)["documentation"]
    assert item["status"] == "fail" and "over a year ago" in item["reasons"][0]
    response = upload(admin_client, "documentation", "policy", name="policies.pdf")
    assert response.status_code == 201
    item = items(admin_client)["documentation"]
    assert item["status"] == "pass" and item["facts"]["current_documents"] == 2
    ChecklistEvidence.objects.filter(public_id=response.json()["id"]).update(effective_date=today - timedelta(days=350))
    assert status(admin_client, "documentation") == "expiring"  # the yearly review is due


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"item": "incident_response", "kind": "breach_procedure", "content": b"MZ\x90\x00binary"}, "file"),
        ({"item": "incident_response", "kind": "training"}, "kind"),
        ({"item": "nonsense", "kind": "other"}, "item"),
        ({"item": "training", "kind": "training"}, "subject_user_id"),
        ({"item": "documentation", "kind": "policy", "expiry_date": "2000-01-01"}, "expiry_date"),
        ({"item": "documentation", "kind": "policy", "link": "https://example.org/p"}, "file"),
    ],
)
def test_bad_evidence_is_a_400_naming_the_field(admin_client, fields, field):
    content = fields.pop("content", PDF)
    body = {"title": "evidence", "file": SimpleUploadedFile("e.pdf", content), **fields}
    response = admin_client.post(EVIDENCE, body, format="multipart")
    assert response.status_code == 400
    assert field in response.json()["errors"], response.json()


def test_links_must_be_https_and_members_from_this_organisation(admin_client, charlie):
    response = link(admin_client, "documentation", "policy", link="http://docs.example.org/policy")
    assert response.status_code == 400 and "link" in response.json()["errors"]
    response = link(admin_client, "training", "training", subject_user_id=charlie.public_id)
    assert response.status_code == 400 and "subject_user_id" in response.json()["errors"]


@pytest.mark.parametrize(
    ("name", "content", "kind"),
    [
        ("scan.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 32, "image/png"),
        ("scan.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 32, "image/jpeg"),
        ("notes.txt", "Procédure de notification\n".encode(), "text/plain"),
    ],
)
def test_allowed_file_types_are_recognised_by_their_bytes(admin_client, name, content, kind):
    response = upload(admin_client, "incident_response", "other", content=content, name=name)
    assert response.status_code == 201, response.json()
    assert response.json()["file"]["type"] == kind


def test_docx_is_recognised_and_other_zips_are_not(admin_client):
    import io
    import zipfile

    def archive(names: list[str]) -> bytes:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as zipped:
            for name in names:
                zipped.writestr(name, "<xml/>")
        return buffer.getvalue()

    docx = archive(["[Content_Types].xml", "word/document.xml"])
    ok = upload(admin_client, "documentation", "policy", content=docx, name="policy.docx")
    assert ok.status_code == 201 and ok.json()["file"]["type"].endswith("wordprocessingml.document")
    other = upload(admin_client, "documentation", "policy", content=archive(["payload.exe"]), name="policy.docx")
    assert other.status_code == 400


def test_evidence_contents_never_appear_in_the_checklist_or_audit_log_but_download_is_audited(
    admin_client, client, alice
):
    marker = b"CONFIDENTIAL-PROCEDURE-TEXT-8841"
    evidence = upload(admin_client, "incident_response", "breach_procedure", content=PDF + marker).json()
    assert marker.decode() not in admin_client.get(CHECKLIST).content.decode()
    client.force_login(alice)
    assert marker not in client.get("/compliance/").content
    assert marker not in client.get("/compliance/items/incident_response").content
    with connection.cursor() as cursor:
        cursor.execute("SELECT file FROM compliance_checklistevidence WHERE public_id = %s", [evidence["id"]])
        assert marker not in bytes(cursor.fetchone()[0])
    added = AuditEvent.objects.get(event_type="checklist.evidence_added")
    assert added.details["sha256"] == evidence["file"]["sha256"] and added.details["size"] == len(PDF + marker)
    assert marker.decode() not in str(added.details)
    download = admin_client.get(f"{EVIDENCE}/{evidence['id']}/file")
    assert download.status_code == 200 and download.content == PDF + marker
    assert download["Content-Type"] == "application/pdf" and download["Cache-Control"] == "no-store"
    assert AuditEvent.objects.filter(event_type="checklist.evidence_downloaded", resource_id=evidence["id"]).exists()
    linked = link(admin_client, "documentation", "policy").json()
    assert admin_client.get(f"{EVIDENCE}/{linked['id']}/file").status_code == 404


def test_status_changes_are_snapshotted_and_audited(admin_client, acme):
    items(admin_client)
    first = ChecklistSnapshot.objects.get(organization=acme)
    assert first.trigger == "initial" and first.results["hipaa_mode"]["status"] == "fail"
    items(admin_client)
    assert ChecklistSnapshot.objects.filter(organization=acme).count() == 1  # nothing changed
    patch(admin_client, {"compliance": {"hipaa": True}})
    items(admin_client)
    assert ChecklistSnapshot.objects.filter(organization=acme).count() == 2
    changed = AuditEvent.objects.get(event_type="checklist.status_changed", resource="checklist/hipaa_mode")
    assert changed.details == {"item": "hipaa_mode", "from": "fail", "to": "pass"}
    # HIPAA mode asks six years of audit logs: a year no longer passes (the audit page says the same)
    retention = AuditEvent.objects.get(event_type="checklist.status_changed", resource="checklist/audit_logging")
    assert retention.details == {"item": "audit_logging", "from": "pass", "to": "fail"}
    assert changed.resource == "checklist/hipaa_mode"
    history = admin_client.get(f"{CHECKLIST}/history", {"item": "hipaa_mode"}).json()["results"]
    assert [row["results"]["hipaa_mode"]["status"] for row in history] == ["pass", "fail"]
    assert admin_client.get(f"{CHECKLIST}/history", {"item": "nope"}).status_code == 400


def test_the_daily_task_snapshots_every_organisation_and_verifies_the_chain(acme, globex, alice):
    from compliance.tasks import checklist_snapshot_all

    assert checklist_snapshot_all() >= 2
    snapshot = ChecklistSnapshot.objects.get(organization=acme)
    assert snapshot.trigger == "scheduled" and set(snapshot.results) >= {"baa", "training"}
    assert snapshot.audit_chain["ok"] is True and snapshot.audit_chain["events"] > 0


def test_a_large_chain_uses_the_daily_verification(admin_client, acme, monkeypatch):
    from compliance import evaluators
    from compliance.tasks import checklist_snapshot_all

    monkeypatch.setattr(evaluators, "LIVE_VERIFY_MAX_EVENTS", 1)
    item = items(admin_client)["audit_logging"]
    assert item["status"] == "not_evaluated"
    checklist_snapshot_all()  # verifies in full whatever the size
    item = items(admin_client)["audit_logging"]
    assert item["status"] == "pass" and item["facts"]["audit_chain"]["live"] is False


def test_other_modules_can_add_checks_to_an_item(admin_client, monkeypatch):
    from compliance import checklist
    from compliance.evaluators import ItemResult

    monkeypatch.setattr(checklist, "EXTRA_CHECKS", {})
    upload(admin_client, "incident_response", "breach_procedure")
    assert status(admin_client, "incident_response") == "pass"
    checklist.register_check("incident_response", lambda org, day: ItemResult("fail", ["1 breach not yet notified."]))
    item = items(admin_client)["incident_response"]
    assert item["status"] == "fail" and item["reasons"] == ["1 breach not yet notified."]
    with pytest.raises(KeyError):
        checklist.register_check("no_such_item", lambda org, day: ItemResult("pass"))


def test_reading_needs_baa_read_and_adding_evidence_baa_manage(api_client, acme, bob):
    api_client.force_authenticate(bob)
    assert api_client.get(CHECKLIST).status_code == 403
    grant(bob, acme, "auditor")
    assert api_client.get(CHECKLIST).status_code == 200
    assert link(api_client, "documentation", "policy").status_code == 403
    assert AuditEvent.objects.filter(
        event_type="access.denied", user_id=bob.public_id, resource="checklist/documentation"
    ).exists()
