"""List endpoints page with cursors instead of silently cutting at a fixed count (they stopped at 200, 500
or 1,000 rows): following `next` returns every row exactly once, in the endpoint's order."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from emergency.models import EmergencyAccessRequest
from emergency.services import grant_activity
from incidents.models import Alert, Incident

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
