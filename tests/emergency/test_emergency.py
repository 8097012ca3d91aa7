"""Break-glass: M-of-N approval without self-approval, a denial ends it, the grant lasts exactly its window
(even if the expiry task never runs), everything done under it is tagged, and history survives expiry."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from accessctl.security import security_settings_document
from audit.models import AuditEvent
from emergency.models import EmergencyAccessRequest, Notification
from emergency.services import expire_due
from tests.conftest import grant
from tests.deployments.fakes import use_echo_provider
from tests.deployments.test_gateway import SEED_PROMPT, make_deployment
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
SETTINGS = "/api/v1/organization/security-settings"
SEED_EMERGENCY = {"enabled": True, "authorized_roles": ["security-admin", "compliance-officer"],
                  "require_multi_approval": True, "access_duration_hours": 4}  # fmt: skip
REQUESTS = "/api/v1/emergency-access/requests"


@pytest.fixture
def people(acme, alice, api_client):
    """alice (org-admin) turns the seed's policy on; nurse asks; two security admins can approve."""
    api_client.force_authenticate(alice)
    assert api_client.patch(SETTINGS, {"emergency_access": SEED_EMERGENCY}, format="json").status_code == 200
    nurse = UserFactory.create(username="nurse", organization=acme, email="nurse@acme.example")
    grant(nurse, acme, "compliance-officer")  # may request, holds an authorized role
    approvers = []
    for name in ("sec1", "sec2"):
        user = UserFactory.create(username=name, organization=acme, email=f"{name}@acme.example")
        grant(user, acme, "security-admin")
        approvers.append(user)
    return nurse, approvers


def ask(client, user, resource="deployment/icu-assistant", permissions=("text:generate", "deployment:read")):
    client.force_authenticate(user)
    body = {"resource": resource, "permissions": list(permissions),
            "reason": "Code blue in ICU bed 4; the assigned clinician is unreachable."}  # fmt: skip
    return client.post(REQUESTS, body, format="json")


def decide(client, user, request_id, decision="approve", comment="verified with the charge nurse"):
    client.force_authenticate(user)
    return client.post(f"{REQUESTS}/{request_id}/decisions", {"decision": decision, "comment": comment}, format="json")


def generate(client, user, deployment):
    client.force_authenticate(user)
    body = {"prompt": SEED_PROMPT, "security_settings": {"phi_redaction": True}}
    return client.post(f"/api/v1/deployments/{deployment.public_id}/generate", body, format="json")


def test_the_seeds_settings_are_stored_and_shown(api_client, alice, acme, people):
    document = security_settings_document(acme)["emergency_access"]
    assert document == {**SEED_EMERGENCY, "approvals_required": 2, "request_ttl_hours": 24}
    bad = api_client.patch(SETTINGS, {"emergency_access": {"authorized_roles": ["ghost-role"]}}, format="json")
    assert bad.status_code == 400 and "emergency_access.authorized_roles" in bad.json()["errors"]
    long = api_client.patch(SETTINGS, {"emergency_access": {"access_duration_hours": 500}}, format="json")
    assert long.status_code == 400 and "emergency_access.access_duration_hours" in long.json()["errors"]


def test_m_of_n_approval_then_a_grant_that_lasts_exactly_its_window(api_client, acme, alice, people, monkeypatch,
                                                                    django_capture_on_commit_callbacks):  # fmt: skip
    use_echo_provider(monkeypatch)
    nurse, (sec1, sec2) = people
    icu = make_deployment(acme, name="icu-assistant")
    assert generate(api_client, nurse, icu).status_code == 403  # no role grants text:generate to the nurse

    with django_capture_on_commit_callbacks(execute=True):
        created = ask(api_client, nurse)
    assert created.status_code == 201, created.json()
    request_id = created.json()["id"]
    assert {n.user.username for n in Notification.objects.all()} >= {"sec1", "sec2", "alice"}
    assert {m.to[0] for m in mail.outbox} >= {"sec1@acme.example", "sec2@acme.example"}
    assert "Code blue" not in "".join(f"{m.subject}{m.body}" for m in mail.outbox)  # the reason stays sealed

    self_approval = decide(api_client, nurse, request_id)
    assert self_approval.status_code == 403
    assert AuditEvent.objects.filter(event_type="access.denied", details__isnull=False,
                                     user_id=nurse.public_id).exists()  # fmt: skip

    first = decide(api_client, sec1, request_id)
    assert first.status_code == 200 and first.json()["status"] == "pending"
    assert generate(api_client, nurse, icu).status_code == 403  # one of two approvals grants nothing
    assert decide(api_client, sec1, request_id).status_code == 400  # one decision per approver

    second = decide(api_client, sec2, request_id).json()
    assert second["status"] == "approved" and second["seconds_left"] > 4 * 3600 - 60
    used = generate(api_client, nurse, icu)
    assert used.status_code == 200
    tagged = AuditEvent.objects.get(event_type="model.inference", user_id=nurse.public_id)
    assert tagged.details["break_glass"] is True and tagged.details["grant_id"] == request_id
    other = make_deployment(acme, name="oncology-assistant")
    assert generate(api_client, nurse, other).status_code == 403  # only the resource asked for

    granted_at = EmergencyAccessRequest.objects.get(public_id=request_id).granted_at
    assert granted_at is not None
    real_now = timezone.now
    monkeypatch.setattr("django.utils.timezone.now", lambda: granted_at + timedelta(hours=4) - timedelta(seconds=1))
    assert generate(api_client, nurse, icu).status_code == 200  # still inside the window
    monkeypatch.setattr("django.utils.timezone.now", lambda: granted_at + timedelta(hours=4))
    assert generate(api_client, nurse, icu).status_code == 403  # over, though no expiry task has run
    assert EmergencyAccessRequest.objects.get(public_id=request_id).status == "approved"
    assert expire_due() == {"pending": 0, "grants": 1}
    monkeypatch.setattr("django.utils.timezone.now", real_now)

    ended = EmergencyAccessRequest.objects.get(public_id=request_id)
    assert (ended.status, ended.review_status) == ("expired", "pending")
    api_client.force_authenticate(sec1)
    history = api_client.get(f"{REQUESTS}/{request_id}").json()
    assert [d["decision"] for d in history["decisions"]] == ["approve", "approve"]
    activity = api_client.get(f"{REQUESTS}/{request_id}/activity").json()["results"]
    assert [e["event_type"] for e in activity].count("model.inference") == 2
    by_approver = api_client.post(f"{REQUESTS}/{request_id}/review", {"notes": "I approved it, so fine"},
                                  format="json")  # fmt: skip
    assert by_approver.status_code == 403  # the review is a third person's
    api_client.force_authenticate(nurse)
    by_requester = api_client.post(f"{REQUESTS}/{request_id}/review", {"notes": "my own use was fine"}, format="json")
    assert by_requester.status_code == 403
    reasons = [e.details.get("reason", "") for e in AuditEvent.objects.filter(event_type="access.denied")]
    assert sorted(r for r in reasons if r.endswith("_review")) == ["approver_review", "self_review"]
    api_client.force_authenticate(alice)
    reviewed = api_client.post(f"{REQUESTS}/{request_id}/review", {"notes": "two summaries, both justified"},
                               format="json")  # fmt: skip
    assert reviewed.status_code == 200 and reviewed.json()["review_status"] == "reviewed"
    types = set(AuditEvent.objects.filter(resource_id=request_id).values_list("event_type", flat=True))
    assert {"emergency_access.requested", "emergency_access.approved", "emergency_access.granted",
            "emergency_access.expired", "emergency_access.reviewed"} <= types  # fmt: skip
    assert "Code blue" not in str(list(AuditEvent.objects.values_list("details", flat=True)))


def test_a_denial_ends_the_request(api_client, acme, people):
    nurse, (sec1, sec2) = people
    request_id = ask(api_client, nurse).json()["id"]
    denied = decide(api_client, sec1, request_id, "deny", "no clinical justification")
    assert denied.json()["status"] == "denied"
    late = decide(api_client, sec2, request_id)
    assert late.status_code == 400 and "decision" in late.json()["errors"]
    assert EmergencyAccessRequest.objects.get(public_id=request_id).status == "denied"


def test_revoke_ends_a_grant_early(api_client, acme, people, monkeypatch):
    use_echo_provider(monkeypatch)
    nurse, (sec1, sec2) = people
    icu = make_deployment(acme, name="icu-assistant")
    request_id = ask(api_client, nurse).json()["id"]
    decide(api_client, sec1, request_id)
    decide(api_client, sec2, request_id)
    assert generate(api_client, nurse, icu).status_code == 200
    api_client.force_authenticate(sec1)
    assert api_client.post(f"{REQUESTS}/{request_id}/revoke").json()["status"] == "revoked"
    assert generate(api_client, nurse, icu).status_code == 403


def test_pending_requests_expire(api_client, acme, people, monkeypatch):
    nurse, (sec1, _) = people
    request_id = ask(api_client, nurse).json()["id"]
    later = timezone.now() + timedelta(hours=25)
    monkeypatch.setattr("django.utils.timezone.now", lambda: later)
    refused = decide(api_client, sec1, request_id)  # deciding on a request whose time ran out expires it
    assert refused.status_code == 400 and "expired" in refused.json()["errors"]["decision"][0]
    assert EmergencyAccessRequest.objects.get(public_id=request_id).status == "expired"
    assert AuditEvent.objects.filter(event_type="emergency_access.expired", resource_id=request_id).count() == 1
    assert expire_due() == {"pending": 0, "grants": 0}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"resource": "icu", "permissions": ["text:generate"], "reason": "a long enough reason"}, "resource"),
        (
            {"resource": "deployment/x", "permissions": ["role:manage"], "reason": "a long enough reason"},
            "permissions",
        ),
        ({"resource": "deployment/x", "permissions": ["text:generate"], "reason": "urgent"}, "reason"),
        ({"resource": "deployment/x", "permissions": [], "reason": "a long enough reason"}, "permissions"),
    ],
)
def test_bad_requests_name_the_field(api_client, people, body, field):
    nurse, _ = people
    api_client.force_authenticate(nurse)
    response = api_client.post(REQUESTS, body, format="json")
    assert response.status_code == 400 and field in response.json()["errors"]


def test_only_authorized_roles_may_ask_and_only_when_enabled(api_client, acme, alice, people):
    outsider = UserFactory.create(username="outsider", organization=acme)
    grant(outsider, acme, "auditor")
    assert ask(api_client, outsider).status_code == 403
    api_client.force_authenticate(alice)
    api_client.patch(SETTINGS, {"emergency_access": {"enabled": False}}, format="json")
    nurse, _ = people
    disabled = ask(api_client, nurse)
    assert disabled.status_code == 400 and "emergency_access.enabled" in disabled.json()["errors"]


def test_requesters_see_only_their_own_and_other_organisations_see_nothing(api_client, acme, charlie, people):
    nurse, _ = people
    request_id = ask(api_client, nurse).json()["id"]
    bystander = UserFactory.create(username="bystander", organization=acme)
    grant(bystander, acme, "compliance-officer")  # may request, so also may approve: sees all
    api_client.force_authenticate(charlie)
    assert api_client.get(f"{REQUESTS}/{request_id}").status_code == 404
    assert decide(api_client, charlie, request_id).status_code == 404
    assert api_client.get(REQUESTS).json()["results"] == []
