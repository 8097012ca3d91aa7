"""The OpenAI-compatible API over REST: the native gateway's policy, PHI modes and audit behind OpenAI's shapes."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.signals import request_finished, request_started
from django.db import close_old_connections

from accessctl.actor import Actor
from accessctl.api_keys import api_key_issue
from accessctl.services import role_assign, role_create
from audit.models import AuditEvent
from tests.conftest import grant
from tests.deployments.fakes import EchoProvider, use_echo_provider
from tests.deployments.test_gateway import SEED_PROMPT, SEED_REDACTED, make_deployment
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

SYSTEM = "You summarise notes about the patient Rosa Delgado, phone 617-555-0143."
PHI_VALUES = ("John", "Smith", "01/15/1965", "Rosa", "Delgado", "617-555-0143", "Maria", "Garcia")


@pytest.fixture
def echo(monkeypatch) -> EchoProvider:
    return use_echo_provider(monkeypatch)


@pytest.fixture
def deployment(acme):
    return make_deployment(acme, security_settings={"phi_handling": "redact"})


def bearer(client, organization, user, **role) -> None:
    _, token = api_key_issue(actor=None, organization=organization, user=user, name="openai", **role)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")


def chat(client, model, **body):
    messages = body.pop("messages", [{"role": "system", "content": SYSTEM}, {"role": "user", "content": SEED_PROMPT}])
    return client.post("/v1/chat/completions", {"model": model, "messages": messages, **body}, format="json")


@pytest.fixture
def server_closes(monkeypatch):
    """Close a response as the WSGI server does when writing to a gone client fails, keeping the test's database
    connection open (Django closes it at the end of each request; the test reads the audit log afterwards)."""
    monkeypatch.setattr("django.test.client.close_old_connections", lambda **kwargs: None)
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield lambda response: response.close()
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


def events(response) -> list[dict[str, Any] | str]:
    """The server-sent events of a streamed answer: parsed JSON, or the `[DONE]` marker."""
    raw = b"".join(response.streaming_content).decode()
    assert raw.endswith("\n\n")
    out: list[dict[str, Any] | str] = []
    for block in raw.strip().split("\n\n"):
        assert block.startswith("data: ")
        data = block.removeprefix("data: ")
        out.append(data if data == "[DONE]" else json.loads(data))
    return out


def test_a_chat_passes_every_turn_through_the_phi_engine(api_client, alice, acme, deployment, echo):
    bearer(api_client, acme, alice)
    response = chat(api_client, deployment.name, max_tokens=32, temperature=0.2, user="clinician-7")
    assert response.status_code == 200, response.json()
    body = response.json()
    seen = echo.conversations[0]
    assert [m.role for m in seen] == ["system", "user"]
    assert seen[0].content == "You summarise notes about the patient [REDACTED NAME], phone [REDACTED PHONE]."
    assert seen[1].content == SEED_REDACTED
    assert body["object"] == "chat.completion" and body["model"] == deployment.name
    assert body["id"] == f"chatcmpl-{body['id'].removeprefix('chatcmpl-')}" and body["id"].startswith("chatcmpl-inf_")
    [choice] = body["choices"]
    assert choice["message"] == {
        "role": "assistant",
        "content": f"Echo: {SEED_REDACTED} Follow up with Dr. [REDACTED NAME] next week.",
    }
    assert choice["finish_reason"] == "stop"
    assert body["phi"] == {"mode": "redact", "counts": {"prompt": {"DATE": 1, "NAME": 2, "PHONE": 1},
                                                        "response": {"NAME": 1}}, "reidentified": False}  # fmt: skip
    inference = AuditEvent.objects.get(event_type="model.inference", resource_id=deployment.public_id)
    assert inference.outcome == "success" and inference.details["messages"] == 2
    assert inference.details["inference_id"] == body["id"].removeprefix("chatcmpl-")
    detection = AuditEvent.objects.get(event_type="phi.detection", resource_id=deployment.public_id)
    assert detection.details["prompt"] == {"DATE": 1, "NAME": 2, "PHONE": 1}
    stored = json.dumps([e.details for e in AuditEvent.objects.all()])
    assert not any(value in stored for value in PHI_VALUES)


def test_the_deployment_id_names_the_model_too(api_client, alice, acme, deployment, echo):
    bearer(api_client, acme, alice)
    assert chat(api_client, deployment.public_id).status_code == 200


def test_a_streamed_chat_equals_the_whole_answer_and_is_audited_with_the_same_counts(
    api_client, alice, acme, deployment, echo
):
    bearer(api_client, acme, alice)
    whole = chat(api_client, deployment.name).json()
    echo.piece = 2
    response = chat(api_client, deployment.name, stream=True, stream_options={"include_usage": True})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/event-stream")
    stream = events(response)
    assert stream[-1] == "[DONE]"
    chunks = [e for e in stream[:-1] if isinstance(e, dict)]
    assert all(c["object"] == "chat.completion.chunk" and c["id"] == chunks[0]["id"] for c in chunks)
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks if c["choices"])
    assert text == whole["choices"][0]["message"]["content"]
    assert len([c for c in chunks if c["choices"] and c["choices"][0]["delta"].get("content")]) > 2
    assert chunks[-2]["choices"][0]["finish_reason"] == "stop"
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["completion_tokens"] > 0
    for chunk in chunks:
        assert not any(value in json.dumps(chunk) for value in PHI_VALUES)
    streamed_id = chunks[0]["id"].removeprefix("chatcmpl-")
    detections = {e.details["inference_id"]: e.details for e in AuditEvent.objects.filter(event_type="phi.detection")}
    whole_id = whole["id"].removeprefix("chatcmpl-")
    assert detections[streamed_id]["prompt"] == detections[whole_id]["prompt"]
    assert detections[streamed_id]["response"] == detections[whole_id]["response"] == {"NAME": 1}
    inferences = {e.details["inference_id"]: e for e in AuditEvent.objects.filter(event_type="model.inference")}
    assert inferences[streamed_id].outcome == "success" and inferences[streamed_id].details["stream"] is True
    assert inferences[streamed_id].details["completion_tokens"] > 0
    assert echo.streams[0].closed


def test_a_client_that_goes_away_mid_stream_is_audited_as_cancelled(
    api_client, alice, acme, deployment, echo, server_closes
):
    bearer(api_client, acme, alice)
    echo.answer = "the plan is unchanged and the patient agrees with it. " * 40
    response = chat(api_client, deployment.name, stream=True)
    content = iter(response.streaming_content)
    assert b'"role":"assistant"' in next(content)
    assert b'"content"' in next(content)
    server_closes(response)
    [stream] = echo.streams
    assert stream.closed and stream.sent < len(echo.answer)  # the runtime was told to stop
    inference = AuditEvent.objects.get(event_type="model.inference", resource_id=deployment.public_id)
    assert inference.outcome == "cancelled"
    assert 0 < inference.details["released_chars"] < len(echo.answer)
    assert AuditEvent.objects.filter(event_type="phi.detection", resource_id=deployment.public_id).count() == 1


def test_a_stream_closed_before_its_first_event_is_still_audited(
    api_client, alice, acme, deployment, echo, server_closes
):
    bearer(api_client, acme, alice)
    response = chat(api_client, deployment.name, stream=True)
    server_closes(response)
    assert echo.streams[0].closed
    inference = AuditEvent.objects.get(event_type="model.inference", resource_id=deployment.public_id)
    assert inference.outcome == "cancelled" and inference.details["released_chars"] == 0


def test_models_lists_only_the_ready_deployments_the_key_may_send_prompts_to(api_client, alice, acme, globex, echo):
    admin = Actor(organization=acme, user=alice)
    hipaa = make_deployment(acme, name="hipaa-clinical-assistant")
    make_deployment(acme, name="research-x")
    make_deployment(acme, name="hipaa-provisioning", state="provisioning")
    make_deployment(globex, name="hipaa-globex")
    viewer = UserFactory.create(username="viewer", organization=acme)
    role = role_create(actor=admin, name="clinical-viewer", resource_pattern="deployment/hipaa-*",
                       permissions=["model:read", "deployment:read", "text:generate"])  # fmt: skip
    role_assign(actor=admin, organization=acme, user=viewer, role=role)
    bearer(api_client, acme, viewer)
    listed = api_client.get("/v1/models")
    assert listed.status_code == 200
    assert listed.json()["object"] == "list"
    assert [m["id"] for m in listed.json()["data"]] == ["hipaa-clinical-assistant"]
    assert listed.json()["data"][0]["deployment_id"] == hipaa.public_id
    assert api_client.get("/v1/models/hipaa-clinical-assistant").json()["id"] == "hipaa-clinical-assistant"
    missing = api_client.get("/v1/models/research-x")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "model_not_found"
    refused = chat(api_client, "research-x")
    assert refused.status_code == 403
    assert refused.json()["error"]["type"] == "permission_error"
    bearer(api_client, acme, alice)
    assert [m["id"] for m in api_client.get("/v1/models").json()["data"]] == [
        "hipaa-clinical-assistant",
        "research-x",
    ]


def test_a_key_without_text_generate_gets_openais_403(api_client, acme, deployment, echo):
    dave = UserFactory.create(username="dave", organization=acme)
    grant(dave, acme, "auditor")
    bearer(api_client, acme, dave)
    response = chat(api_client, deployment.name)
    assert response.status_code == 403
    error = response.json()["error"]
    assert set(error) >= {"message", "type", "param", "code"}
    assert error["type"] == "permission_error" and "text:generate" in error["message"]
    assert api_client.get("/v1/models").json()["data"] == []
    assert echo.prompts == []
    assert AuditEvent.objects.get(event_type="access.denied").outcome == "denied"


def test_errors_take_openais_shape_with_the_native_status(api_client, alice, acme, charlie, deployment, echo):
    unauthenticated = chat(api_client, deployment.name)
    assert unauthenticated.status_code == 401
    assert unauthenticated.json()["error"]["type"] == "authentication_error"
    bearer(api_client, acme, alice)
    bad_role = chat(api_client, deployment.name, messages=[{"role": "tool", "content": "x"}])
    assert bad_role.status_code == 400
    assert bad_role.json()["error"]["param"] == "messages.0.role"
    no_messages = chat(api_client, deployment.name, messages=[])
    assert no_messages.status_code == 400 and no_messages.json()["error"]["param"] == "messages"
    too_many = chat(api_client, deployment.name, max_tokens=999999)
    assert too_many.status_code == 400 and too_many.json()["error"]["param"] == "max_tokens"
    weaker = chat(api_client, deployment.name, phi_handling="detect")
    assert weaker.status_code == 400 and weaker.json()["error"]["param"] == "security_settings.phi_handling"
    rejected = chat(api_client, deployment.name, phi_handling="reject")
    assert rejected.status_code == 422
    assert rejected.json()["error"]["code"] == "phi-rejected"
    assert rejected.json()["error"]["entity_types"] == ["DATE", "NAME", "PHONE"]
    assert chat(api_client, "no-such-deployment").status_code == 404
    bearer(api_client, charlie.memberships.first().organization, charlie)
    other_tenant = chat(api_client, deployment.name)
    assert other_tenant.status_code == 404 and other_tenant.json()["error"]["param"] == "model"
    assert echo.prompts == []


def test_text_parts_are_read_and_deidentify_is_asked_for_in_the_body(api_client, alice, acme, echo):
    plain = make_deployment(acme, name="plain")
    bearer(api_client, acme, alice)
    messages = [{"role": "user", "content": [{"type": "text", "text": SEED_PROMPT}]}]
    response = chat(api_client, plain.name, messages=messages, phi_handling="de-identify", subject_id="p-1")
    assert response.status_code == 200, response.json()
    assert response.json()["phi"]["mode"] == "deidentify"
    assert "John" not in echo.prompts[0] and "(DOB: " in echo.prompts[0]
    image = [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "https://x/y.png"}}]}]
    refused = chat(api_client, plain.name, messages=image)
    assert refused.status_code == 400 and refused.json()["error"]["param"] == "messages.0.content"
