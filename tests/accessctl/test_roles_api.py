"""The seed's access-control sample over REST: roles with resource patterns, assignment, the policy."""

from __future__ import annotations

import pytest

from accessctl.actor import Actor
from accessctl.policy import PolicyDenied, authorize, is_allowed
from audit.models import AuditEvent
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

SEED_ROLE = {
    "name": "clinical-viewer",
    "permissions": ["model:read", "deployment:read", "text:generate"],
    "resource_pattern": "deployment/hipaa-*",
}


@pytest.fixture
def nurse(acme):
    user = UserFactory.create(username="nurse", organization=acme)
    return user


def test_seed_role_and_assignment_grant_exactly_the_pattern(api_client, alice, nurse, acme):
    api_client.force_authenticate(alice)
    created = api_client.post("/api/v1/roles", SEED_ROLE, format="json")
    assert created.status_code == 201, created.json()
    assert created.json()["permissions"] == sorted(SEED_ROLE["permissions"])
    assigned = api_client.post(
        "/api/v1/role-assignments", {"user_id": nurse.public_id, "role_name": "clinical-viewer"}, format="json"
    )
    assert assigned.status_code == 201, assigned.json()

    actor = Actor(organization=acme, user=nurse)
    assert is_allowed(actor, "text:generate", "deployment/hipaa-clinical-assistant")
    assert not is_allowed(actor, "text:generate", "deployment/research-x")
    assert not is_allowed(actor, "deployment:delete", "deployment/hipaa-clinical-assistant")
    with pytest.raises(PolicyDenied):
        authorize(actor, "text:generate", "deployment/research-x")
    denied = AuditEvent.objects.get(event_type="access.denied", user_id=nurse.public_id)
    assert denied.outcome == "denied" and denied.resource == "deployment/research-x"
    assert AuditEvent.objects.filter(event_type="role.created", resource="role/clinical-viewer").exists()
    assert AuditEvent.objects.filter(event_type="role.assigned", resource_id=nurse.public_id).exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**SEED_ROLE, "permissions": ["model:read", "model:destroy"]}, "permissions"),
        ({**SEED_ROLE, "name": "Bad Name!"}, "name"),
        ({**SEED_ROLE, "permissions": []}, "permissions"),
        ({**SEED_ROLE, "colour": "blue"}, "colour"),
    ],
)
def test_bad_roles_get_400_naming_the_field(api_client, alice, body, field):
    api_client.force_authenticate(alice)
    response = api_client.post("/api/v1/roles", body, format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_unknown_permission_is_named(api_client, alice):
    api_client.force_authenticate(alice)
    response = api_client.post("/api/v1/roles", {**SEED_ROLE, "permissions": ["model:destroy"]}, format="json")
    assert "model:destroy" in response.json()["errors"]["permissions"][0]


def test_duplicate_role_name_is_refused(api_client, alice):
    api_client.force_authenticate(alice)
    assert api_client.post("/api/v1/roles", SEED_ROLE, format="json").status_code == 201
    again = api_client.post("/api/v1/roles", SEED_ROLE, format="json")
    assert again.status_code == 400 and "name" in again.json()["errors"]


def test_assignment_to_unknown_user_or_role_is_400(api_client, alice, charlie):
    api_client.force_authenticate(alice)
    other_org_user = api_client.post(
        "/api/v1/role-assignments", {"user_id": charlie.public_id, "role_name": "auditor"}, format="json"
    )
    assert other_org_user.status_code == 400 and "user_id" in other_org_user.json()["errors"]
    no_role = api_client.post(
        "/api/v1/role-assignments", {"user_id": alice.public_id, "role_name": "nope"}, format="json"
    )
    assert no_role.status_code == 400 and "role_name" in no_role.json()["errors"]


def test_unassign_removes_the_grant(api_client, alice, bob, acme):
    api_client.force_authenticate(alice)
    api_client.post("/api/v1/role-assignments", {"user_id": bob.public_id, "role_name": "auditor"}, format="json")
    assert is_allowed(Actor(organization=acme, user=bob), "audit:read", "organization/acme-health")
    response = api_client.delete(f"/api/v1/users/{bob.public_id}/roles/auditor")
    assert response.status_code == 204
    assert not is_allowed(Actor(organization=acme, user=bob), "audit:read", "organization/acme-health")
    assert api_client.delete(f"/api/v1/users/{bob.public_id}/roles/auditor").status_code == 404


def test_managing_roles_needs_role_manage(api_client, bob):
    api_client.force_authenticate(bob)
    assert api_client.post("/api/v1/roles", SEED_ROLE, format="json").status_code == 403
    assert api_client.get("/api/v1/roles").status_code == 403


def test_roles_are_per_organisation(api_client, alice, charlie):
    api_client.force_authenticate(alice)
    api_client.post("/api/v1/roles", SEED_ROLE, format="json")
    api_client.force_authenticate(charlie)
    names = {role["name"] for role in api_client.get("/api/v1/roles").json()["results"]}
    assert "clinical-viewer" not in names
    assert {"org-admin", "security-admin", "compliance-officer", "auditor"} <= names


def test_console_creates_and_assigns_roles(client, alice, bob):
    client.force_login(alice)
    response = client.post(
        "/access/roles",
        {"form": "role", "name": "night-shift", "permissions": ["audit:read"], "resource_pattern": "*"},
    )
    assert response.status_code == 302
    response = client.post("/access/roles", {"form": "assign", "user_id": bob.public_id, "role_name": "night-shift"})
    assert response.status_code == 302
    page = client.get("/access/roles").content.decode()
    assert "night-shift" in page and "bob" in page
    bad = client.post("/access/roles", {"form": "role", "name": "night-shift", "permissions": ["audit:read"],
                                        "resource_pattern": "*"})  # fmt: skip
    assert bad.status_code == 200 and "already exists" in bad.content.decode()
