"""Deployments over REST: the seed's create_deployment, validation, visibility by pattern, tenancy."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from accessctl.actor import Actor
from accessctl.services import role_assign, role_create
from audit.models import AuditEvent
from deployments.models import CatalogModel, Deployment
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

SEED: dict[str, Any] = {
    "model_name": "ZimaBlueAI/HuatuoGPT-o1-8B",
    "deployment_name": "hipaa-clinical-assistant",
    "compute_type": "gpu",
    "instance_type": "g4dn.xlarge",
    "security_settings": {"network_isolation": True, "private_endpoints": True, "encryption_level": "maximum"},
    "vpc_config": {"subnet_ids": ["subnet-abc123", "subnet-def456"], "security_group_ids": ["sg-123456"]},
    "tags": {"compliance": "hipaa", "data-sensitivity": "phi"},
}


def test_the_catalog_ships_the_seed_models():
    names = set(CatalogModel.objects.values_list("name", flat=True))
    assert {"ZimaBlueAI/HuatuoGPT-o1-8B", "HuggingFaceTB/SmolLM2-135M-Instruct"} <= names


def test_seed_deployment_is_created_pending_and_queued(api_client, alice, django_capture_on_commit_callbacks):
    api_client.force_authenticate(alice)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = api_client.post("/api/v1/deployments", SEED, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["id"].startswith("dep_") and len(body["id"]) >= 14
    assert body["state"] == "pending" and body["provider"] == "aws"
    assert body["vpc_config"] == SEED["vpc_config"] and body["tags"] == SEED["tags"]
    assert body["security_settings"] == SEED["security_settings"]
    assert len(callbacks) == 1  # the provisioning task, enqueued only once the row is committed
    event = AuditEvent.objects.get(event_type="deployment.created")
    assert event.resource == "deployment/hipaa-clinical-assistant" and event.resource_id == body["id"]
    assert api_client.get(f"/api/v1/deployments/{body['id']}").json()["progress"] == {"percent": 0, "stage": ""}


def mutate(path: str, value: object) -> dict[str, Any]:
    body = copy.deepcopy(SEED)
    target: dict[str, Any] = body
    *parents, last = path.split(".")
    for part in parents:
        target = target[part]
    if value is KeyError:
        del target[last]
    else:
        target[last] = value
    return body


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (mutate("vpc_config.subnet_ids", ["subnet-xyz!"]), "vpc_config.subnet_ids"),
        (mutate("vpc_config.subnet_ids", []), "vpc_config.subnet_ids"),
        (mutate("vpc_config.security_group_ids", ["group-1"]), "vpc_config.security_group_ids"),
        (mutate("vpc_config.route_table_ids", ["rtb-1"]), "vpc_config.route_table_ids"),
        (mutate("instance_type", "t3.micro"), "instance_type"),
        (mutate("instance_type", "not an instance"), "instance_type"),
        (mutate("model_name", "acme/unknown-model"), "model_name"),
        (mutate("security_settings.encryption_level", "weak"), "security_settings.encryption_level"),
        (mutate("security_settings.firewall", True), "security_settings.firewall"),
        (mutate("security_settings.network_isolation", "yes"), "security_settings.network_isolation"),
        (mutate("deployment_name", "Bad Name"), "deployment_name"),
        (mutate("compute_type", "tpu"), "compute_type"),
        (mutate("colour", "blue"), "colour"),
        ({**SEED, "provider": "local", "vpc_config": {}, "compute_type": "cpu", "instance_type": ""}, "model_name"),
        ({**SEED, "provider": "quantum"}, "provider"),
    ],
)
def test_invalid_requests_get_400_naming_the_field(api_client, alice, body, field):
    api_client.force_authenticate(alice)
    response = api_client.post("/api/v1/deployments", body, format="json")
    assert response.status_code == 400, response.json()
    assert field in response.json()["errors"], response.json()
    assert not Deployment.objects.exists()


def test_unknown_model_error_lists_what_the_provider_can_serve(api_client, alice):
    api_client.force_authenticate(alice)
    response = api_client.post("/api/v1/deployments", mutate("model_name", "acme/x"), format="json")
    assert "ZimaBlueAI/HuatuoGPT-o1-8B" in response.json()["errors"]["model_name"][0]


def test_a_live_name_is_unique_per_organisation(api_client, alice, charlie):
    api_client.force_authenticate(alice)
    assert api_client.post("/api/v1/deployments", SEED, format="json").status_code == 201
    again = api_client.post("/api/v1/deployments", SEED, format="json")
    assert again.status_code == 400 and "deployment_name" in again.json()["errors"]
    api_client.force_authenticate(charlie)
    assert api_client.post("/api/v1/deployments", SEED, format="json").status_code == 201


def test_resource_patterns_decide_what_a_role_sees(api_client, alice, acme):
    api_client.force_authenticate(alice)
    hipaa = api_client.post("/api/v1/deployments", SEED, format="json").json()["id"]
    research = api_client.post("/api/v1/deployments", mutate("deployment_name", "research-x"), format="json").json()
    viewer = UserFactory.create(username="viewer", organization=acme)
    role = role_create(
        actor=Actor(organization=acme, user=alice),
        name="clinical-viewer",
        permissions=["model:read", "deployment:read", "text:generate"],
        resource_pattern="deployment/hipaa-*",
    )
    role_assign(actor=None, organization=acme, user=viewer, role=role)
    api_client.force_authenticate(viewer)
    listed = [d["id"] for d in api_client.get("/api/v1/deployments").json()["results"]]
    assert listed == [hipaa]
    assert api_client.get(f"/api/v1/deployments/{hipaa}").status_code == 200
    refused = api_client.get(f"/api/v1/deployments/{research['id']}")
    assert refused.status_code == 403
    denied = AuditEvent.objects.get(event_type="access.denied", user_id=viewer.public_id)
    assert denied.resource == "deployment/research-x"
    assert api_client.delete(f"/api/v1/deployments/{hipaa}").status_code == 403  # read, not delete


def test_another_organisations_deployment_is_not_found(api_client, alice, charlie):
    api_client.force_authenticate(charlie)
    theirs = api_client.post("/api/v1/deployments", SEED, format="json").json()["id"]
    api_client.force_authenticate(alice)
    assert api_client.get(f"/api/v1/deployments/{theirs}").status_code == 404
    assert api_client.delete(f"/api/v1/deployments/{theirs}").status_code == 404
