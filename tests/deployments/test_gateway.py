"""The inference gateway over REST: PHI modes on prompt and response, refusals, audit without values."""

from __future__ import annotations

import json
import logging

import pytest

from accessctl.actor import Actor
from accessctl.services import role_assign, role_create
from audit.models import AuditEvent
from deployments.models import CatalogModel, Deployment
from tests.deployments.fakes import EchoProvider, use_echo_provider
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

SEED_PROMPT = "Patient John Smith (DOB: 01/15/1965) has been diagnosed with type 2 diabetes."
SEED_REDACTED = "Patient [REDACTED NAME] (DOB: [REDACTED DATE]) has been diagnosed with type 2 diabetes."
PHI_VALUES = ("John", "Smith", "01/15/1965", "1965", "Maria", "Garcia")


def make_deployment(organization, name="hipaa-clinical-assistant", state="ready", **extra) -> Deployment:
    return Deployment.objects.create(
        organization=organization,
        name=name,
        model=CatalogModel.objects.get(name="HuggingFaceTB/SmolLM2-135M-Instruct"),
        provider=extra.pop("provider", "local"),
        compute_type="cpu",
        state=state,
        security_settings={
            "network_isolation": True,
            "private_endpoints": False,
            "encryption_level": "maximum",
            **extra.pop("security_settings", {}),
        },
        **extra,
    )


@pytest.fixture
def echo(monkeypatch) -> EchoProvider:
    return use_echo_provider(monkeypatch)


@pytest.fixture
def deployment(acme) -> Deployment:
    return make_deployment(acme)


def generate(client, deployment, prompt=SEED_PROMPT, **settings):
    body = {"prompt": prompt, "max_tokens": 32}
    if settings:
        body["security_settings"] = settings
    return client.post(f"/api/v1/deployments/{deployment.public_id}/generate", body, format="json")


def audit_text(organization) -> str:
    events = AuditEvent.objects.filter(chain=organization.public_id)
    return json.dumps([[e.event_type, e.resource, e.details] for e in events])


def test_redaction_sends_the_seeds_redacted_prompt_and_redacts_the_answer(api_client, alice, acme, deployment, echo):
    api_client.force_authenticate(alice)
    response = generate(api_client, deployment, phi_detection=True, phi_redaction=True)
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["processed_prompt"] == SEED_REDACTED
    assert echo.prompts == [SEED_REDACTED]  # the model never saw the PHI
    assert body["text"] == f"Echo: {SEED_REDACTED} Follow up with Dr. [REDACTED NAME] next week."
    assert body["phi"]["mode"] == "redact"
    assert sorted(e["type"] for e in body["phi"]["entities"]) == ["DATE", "NAME"]
    assert [e["type"] for e in body["phi"]["response_entities"]] == ["NAME"]
    assert body["id"].startswith("inf_") and body["deployment_id"] == deployment.public_id
    assert body["usage"]["total_tokens"] == body["usage"]["prompt_tokens"] + body["usage"]["completion_tokens"]
    inference = AuditEvent.objects.get(event_type="model.inference", resource_id=deployment.public_id)
    detection = AuditEvent.objects.get(event_type="phi.detection", resource_id=deployment.public_id)
    assert inference.outcome == "success" and inference.user_id == alice.public_id
    assert inference.details["inference_id"] == body["id"] == detection.details["inference_id"]
    assert detection.details["prompt"] == {"DATE": 1, "NAME": 1}
    assert detection.details["response"] == {"NAME": 1}
    assert not any(value in audit_text(acme) for value in PHI_VALUES)


def test_deidentify_replaces_name_and_date_consistently(api_client, alice, deployment, echo):
    api_client.force_authenticate(alice)
    first = generate(api_client, deployment, phi_handling="de-identify").json()
    second = generate(api_client, deployment, phi_handling="de-identify").json()
    processed = first["processed_prompt"]
    assert "John Smith" not in processed and "01/15/1965" not in processed
    assert processed.startswith("Patient ") and processed.endswith(") has been diagnosed with type 2 diabetes.")
    assert second["processed_prompt"] == processed  # consistent surrogates within the organisation
    assert first["phi"]["mode"] == "de-identify"
    assert "Maria Garcia" not in first["text"]


def test_reject_refuses_with_422_listing_types_and_audits_denied(api_client, alice, acme, deployment, echo):
    api_client.force_authenticate(alice)
    response = generate(api_client, deployment, phi_handling="reject")
    assert response.status_code == 422
    assert response.json()["entity_types"] == ["DATE", "NAME"]
    assert "John" not in response.content.decode()
    assert echo.prompts == []
    event = AuditEvent.objects.get(event_type="model.inference", resource_id=deployment.public_id)
    assert event.outcome == "denied" and event.details["refused"] == "phi-rejected"
    detection = AuditEvent.objects.get(event_type="phi.detection", resource_id=deployment.public_id)
    assert detection.details["prompt"] == {"DATE": 1, "NAME": 1}


def test_reject_passes_a_clean_prompt_and_redacts_names_in_the_answer(api_client, alice, deployment, echo):
    api_client.force_authenticate(alice)
    response = generate(api_client, deployment, "What is a normal HbA1c?", phi_handling="reject")
    assert response.status_code == 200
    assert response.json()["text"].endswith("Dr. [REDACTED NAME] next week.")


def test_detect_only_sends_the_prompt_unchanged_but_reports_positions(api_client, alice, deployment, echo):
    api_client.force_authenticate(alice)
    body = generate(api_client, deployment, phi_handling="detect").json()
    assert body["processed_prompt"] == SEED_PROMPT and echo.prompts == [SEED_PROMPT]
    name = next(e for e in body["phi"]["entities"] if e["type"] == "NAME")
    assert SEED_PROMPT[name["start"] : name["end"]] == "John Smith"


def test_a_deployment_minimum_mode_cannot_be_weakened(api_client, alice, acme, echo):
    strict = make_deployment(acme, name="strict", security_settings={"phi_handling": "redact"})
    api_client.force_authenticate(alice)
    response = generate(api_client, strict, phi_handling="detect")
    assert response.status_code == 400
    assert "security_settings.phi_handling" in response.json()["errors"]
    assert generate(api_client, strict).json()["processed_prompt"] == SEED_REDACTED  # its default applies
    assert echo.prompts == [SEED_REDACTED]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"prompt": ""}, "prompt"),
        ({"prompt": "   "}, "prompt"),
        ({"prompt": "hi", "max_tokens": 0}, "max_tokens"),
        ({"prompt": "hi", "temperature": 3}, "temperature"),
        ({"prompt": "hi", "security_settings": {"phi_handling": "shred"}}, "security_settings.phi_handling"),
        ({"prompt": "hi", "security_settings": {"colour": "red"}}, "security_settings.colour"),
        ({"prompt": "hi", "stream": "sometimes"}, "stream"),
        ({"prompt": "hi", "colour": "red"}, "colour"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(api_client, alice, deployment, echo, body, field):
    api_client.force_authenticate(alice)
    response = api_client.post(f"/api/v1/deployments/{deployment.public_id}/generate", body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"]
    assert echo.prompts == []


def test_a_deployment_that_is_not_ready_is_refused_and_audited(api_client, alice, acme, echo):
    pending = make_deployment(acme, name="pending-one", state="provisioning")
    api_client.force_authenticate(alice)
    response = generate(api_client, pending)
    assert response.status_code == 409
    assert response.json()["type"].endswith("deployment-not-ready")
    assert AuditEvent.objects.get(event_type="model.inference").outcome == "denied"
    assert echo.prompts == []


def test_the_phi_engine_failing_fails_closed(api_client, alice, deployment, echo, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("lexicon missing for John Smith")

    monkeypatch.setattr("deployments.gateway.process", broken)
    api_client.force_authenticate(alice)
    response = generate(api_client, deployment)
    assert response.status_code == 503
    assert "John" not in response.content.decode()
    assert echo.prompts == []
    assert AuditEvent.objects.get(event_type="model.inference").details["refused"] == "phi-engine-unavailable"


def test_an_unreachable_runtime_is_a_503_and_an_audited_error(api_client, alice, acme):
    dead = make_deployment(acme, name="dead-runtime", endpoint_url="http://127.0.0.1:9/v1", endpoint_secret="k")
    api_client.force_authenticate(alice)
    response = generate(api_client, dead, phi_handling="redact")
    assert response.status_code == 503
    event = AuditEvent.objects.get(event_type="model.inference")
    assert event.outcome == "error" and event.details["refused"] == "runtime-unavailable"


def test_resource_patterns_decide_who_may_generate_where(api_client, alice, acme, echo):
    """The seed's access-control sample: clinical-viewer on deployment/hipaa-* may generate on
    hipaa-clinical-assistant and is refused (403, audited as denied) on research-x."""
    admin = Actor(organization=acme, user=alice)
    hipaa = make_deployment(acme, name="hipaa-clinical-assistant")
    research = make_deployment(acme, name="research-x")
    viewer = UserFactory.create(username="viewer", organization=acme)
    permissions = ["model:read", "deployment:read", "text:generate"]
    role = role_create(
        actor=admin, name="clinical-viewer", permissions=permissions, resource_pattern="deployment/hipaa-*"
    )
    role_assign(actor=admin, organization=acme, user=viewer, role=role)
    api_client.force_authenticate(viewer)
    assert generate(api_client, hipaa, phi_redaction=True).status_code == 200
    refused = generate(api_client, research, phi_redaction=True)
    assert refused.status_code == 403
    denied = AuditEvent.objects.get(event_type="access.denied", user_id=viewer.public_id)
    assert denied.outcome == "denied" and denied.resource == "deployment/research-x"
    assert echo.prompts == [SEED_REDACTED]


def test_another_organisations_deployment_is_not_found(api_client, charlie, deployment, echo):
    api_client.force_authenticate(charlie)
    assert generate(api_client, deployment).status_code == 404
    assert echo.prompts == []


def test_no_phi_reaches_the_logs(api_client, alice, deployment, echo, caplog):
    caplog.set_level(logging.DEBUG)
    api_client.force_authenticate(alice)
    for mode in ("detect", "redact", "de-identify", "reject"):
        generate(api_client, deployment, phi_handling=mode)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert not any(value in logged for value in PHI_VALUES)
