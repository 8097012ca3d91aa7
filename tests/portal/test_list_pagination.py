"""List endpoints page with cursors instead of silently cutting at a fixed count (they stopped at 200, 500
or 1,000 rows): following `next` returns every row exactly once, in the endpoint's order."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from accessctl.models import Role
from accessctl.services import role_assign
from audit.models import AuditEvent
from compliance.models import BusinessAssociateAgreement, ChecklistSnapshot
from deployments.models import CatalogModel, Deployment
from emergency.models import EmergencyAccessRequest
from emergency.services import grant_activity
from incidents.models import Alert, Incident, Notice
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def as_alice(api_client, alice):
    api_client.force_authenticate(alice)
    return api_client


def collect(client: Any, url: str) -> list[str]:
    """Every id the list returns, following `next` until it is null."""
    ids: list[str] = []
    page: dict[str, Any] = {"next": url}
    while page["next"]:
        response = client.get(page["next"])
        assert response.status_code == 200, response.content
        page = response.json()
        assert set(page) >= {"results", "next"}
        ids.extend(row["id"] for row in page["results"])
    assert len(ids) == len(set(ids)), "a row came back twice"
    return ids


def test_emergency_requests_past_the_old_cut_of_200(as_alice, acme, alice):
    now = timezone.now()
    EmergencyAccessRequest.objects.bulk_create(
        EmergencyAccessRequest(
            organization=acme,
            requester=alice,
            reason="",
            resource="deployment/x",
            permissions=["deployment:read"],
            approvals_needed=1,
            duration_hours=1,
            pending_until=now + timedelta(hours=1),
        )
        for _ in range(201)
    )
    expected = list(EmergencyAccessRequest.objects.order_by("-created_at", "-id").values_list("public_id", flat=True))
    assert collect(as_alice, "/api/v1/emergency-access/requests?page_size=60") == expected
    assert len(collect(as_alice, "/api/v1/emergency-access/requests?status=pending&page_size=500")) == 201


def test_grant_activity_past_the_old_cut_of_1000(as_alice, acme, alice):
    now = timezone.now()
    found = EmergencyAccessRequest.objects.create(
        organization=acme,
        requester=alice,
        reason="",
        resource="deployment/x",
        permissions=["deployment:read"],
        approvals_needed=1,
        duration_hours=1,
        pending_until=now,
        status="approved",
        granted_at=now,
    )
    AuditEvent.objects.bulk_create(
        AuditEvent(
            organization=acme,
            chain=acme.public_id,
            timestamp=now + timedelta(seconds=i // 4),
            actor_type="user",
            event_type="deployment.read",
            outcome="success",
            leaf_hash="0" * 64,
            details={"grant_id": found.public_id},
        )
        for i in range(1001)
    )
    expected = list(grant_activity(found).values_list("event_id", flat=True))
    assert len(expected) == 1001
    assert collect(as_alice, f"/api/v1/emergency-access/requests/{found.public_id}/activity?page_size=500") == (
        expected
    )


def test_incidents_past_the_old_cut_of_500(as_alice, acme):
    now = timezone.now()
    Incident.objects.bulk_create(
        Incident(organization=acme, title=f"incident {i}", source="manual", discovered_at=now - timedelta(hours=i // 3))
        for i in range(501)  # ties on discovered_at, broken by id
    )
    expected = list(Incident.objects.order_by("-discovered_at", "-id").values_list("public_id", flat=True))
    assert collect(as_alice, "/api/v1/incidents?page_size=100") == expected
    assert collect(as_alice, "/api/v1/incidents?status=open&page_size=500") == expected


def test_alerts_past_the_old_cut_of_500(as_alice, acme):
    now = timezone.now()
    Alert.objects.bulk_create(
        Alert(
            organization=acme,
            rule="repeated_denials",
            severity="medium",
            key=f"user/{i}",
            dedupe_key=f"k{i}",
            window_start=now,
            window_end=now,
        )
        for i in range(501)
    )
    expected = list(Alert.objects.order_by("-created_at", "-id").values_list("public_id", flat=True))
    assert collect(as_alice, "/api/v1/alerts?page_size=100") == expected
    assert collect(as_alice, "/api/v1/alerts?rule=repeated_denials&severity=medium&page_size=500") == expected


# These lists used to answer every row in one page ("next" always null); now they page like the rest, so a list
# longer than one page (50 by default) comes back whole only by following `next`.


def _deployments(acme, count: int) -> None:
    model = CatalogModel.objects.get(name="ZimaBlueAI/HuatuoGPT-o1-8B")
    for i in range(count):  # one by one: encrypted fields are sealed on save
        Deployment.objects.create(
            organization=acme, name=f"d{i:03d}", model=model, provider="local", compute_type="cpu"
        )


def test_deployments_page_past_one_page(as_alice, acme):
    _deployments(acme, 61)
    expected = list(Deployment.objects.order_by("-created_at", "-id").values_list("public_id", flat=True))
    first = as_alice.get("/api/v1/deployments").json()
    assert len(first["results"]) == 50 and first["next"]
    assert collect(as_alice, "/api/v1/deployments?page_size=20") == expected


def test_deployment_pages_keep_only_what_the_caller_may_read(api_client, acme, alice):
    _deployments(acme, 61)
    role = Role.objects.create(
        organization=acme, name="d0x-reader", permissions=["deployment:read"], resource_pattern="deployment/d00*"
    )
    bob = UserFactory.create(username="bob", organization=acme)
    role_assign(actor=None, organization=acme, user=bob, role=role)
    api_client.force_authenticate(bob)
    readable = Deployment.objects.filter(name__startswith="d00").order_by("-created_at", "-id")
    expected = list(readable.values_list("public_id", flat=True))
    assert len(expected) == 10  # d000-d009, spread over the pages of all 61
    assert collect(api_client, "/api/v1/deployments?page_size=7") == expected


def test_baas_page_past_one_page(as_alice, acme):
    today = timezone.localdate()
    BusinessAssociateAgreement.objects.bulk_create(
        BusinessAssociateAgreement(
            organization=acme, counterparty=f"Vendor {i}", effective_date=today, expiry_date=today + timedelta(days=90)
        )
        for i in range(61)
    )
    expected = list(
        BusinessAssociateAgreement.objects.order_by("-created_at", "-id").values_list("public_id", flat=True)
    )
    assert len(as_alice.get("/api/v1/baas").json()["results"]) == 50
    assert collect(as_alice, "/api/v1/baas?page_size=20") == expected


def test_incident_notices_page_past_one_page(as_alice, acme):
    incident = Incident.objects.create(
        organization=acme, title="lost laptop", source="manual", discovered_at=timezone.now()
    )
    for _ in range(61):  # one by one: the letter's content is sealed on save
        Notice.objects.create(organization=acme, incident=incident, kind="individual")
    expected = list(incident.notices.order_by("-created_at", "-id").values_list("public_id", flat=True))
    url = f"/api/v1/incidents/{incident.public_id}/notices"
    assert len(as_alice.get(url).json()["results"]) == 50
    assert collect(as_alice, f"{url}?page_size=20") == expected


def test_checklist_history_past_the_old_cut_of_365(as_alice, acme):
    now = timezone.now()
    ChecklistSnapshot.objects.bulk_create(
        ChecklistSnapshot(organization=acme, taken_at=now - timedelta(days=i // 2), trigger="scheduled")
        for i in range(400)  # ties on taken_at, broken by id
    )
    snapshots = ChecklistSnapshot.objects.filter(organization=acme).order_by("-taken_at", "-id")
    expected = [snapshot.taken_at.isoformat() for snapshot in snapshots]
    first = as_alice.get("/api/v1/compliance/checklist/history").json()
    assert len(first["results"]) == 30 and first["next"]  # `limit` still names the page size, 30 by default
    taken: list[str] = []
    page: dict[str, Any] = {"next": "/api/v1/compliance/checklist/history?limit=365"}
    while page["next"]:
        page = as_alice.get(page["next"]).json()
        taken.extend(row["taken_at"] for row in page["results"])
    assert taken == expected
