"""The native `generate` endpoint streamed (`stream: true`): server-sent events through the hold-back window."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from audit.models import AuditEvent
from deployments.providers import RuntimeUnavailable
from tests.deployments.fakes import EchoProvider, EchoStream, use_echo_provider
from tests.deployments.test_gateway import SEED_PROMPT, SEED_REDACTED, make_deployment

pytestmark = pytest.mark.django_db


@pytest.fixture
def echo(monkeypatch) -> EchoProvider:
    return use_echo_provider(monkeypatch)


def native_events(response) -> list[tuple[str, dict[str, Any]]]:
    out = []
    for block in b"".join(response.streaming_content).decode().strip().split("\n\n"):
        name, data = block.split("\n", 1)
        out.append((name.removeprefix("event: "), json.loads(data.removeprefix("data: "))))
    return out


def post(client, deployment, **body):
    body = {"prompt": SEED_PROMPT, "max_tokens": 64, "security_settings": {"phi_redaction": True}, **body}
    return client.post(f"/api/v1/deployments/{deployment.public_id}/generate", body, format="json")


def test_the_native_stream_equals_the_whole_answer(api_client, alice, acme, echo):
    deployment = make_deployment(acme)
    api_client.force_authenticate(alice)
    whole = post(api_client, deployment).json()
    response = post(api_client, deployment, stream=True)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/event-stream")
    events = native_events(response)
    deltas = [data["text"] for name, data in events if name == "delta"]
    assert len(deltas) > 1 and "".join(deltas) == whole["text"]
    assert f"Echo: {SEED_REDACTED}" in whole["text"]
    name, done = events[-1]
    assert name == "done" and done["deployment_id"] == deployment.public_id and done["finish_reason"] == "stop"
    assert done["phi"] == {"mode": "redact", "counts": whole["phi"]["counts"]}
    assert echo.prompts == [SEED_REDACTED, SEED_REDACTED]
    [event] = [e for e in AuditEvent.objects.filter(event_type="model.inference") if e.details.get("stream")]
    assert event.outcome == "success" and event.details["inference_id"] == done["id"]


class FailingStream(EchoStream):
    """Sends a few pieces, then the runtime goes away."""

    def __iter__(self) -> Iterator[str]:
        yield from list(super().__iter__())[:30]
        raise RuntimeUnavailable("The runtime did not answer (ReadTimeout).")


def test_a_runtime_failing_mid_stream_ends_with_an_error_event_and_nothing_unchecked(api_client, alice, acme, echo):
    deployment = make_deployment(acme)
    echo.answer = "Patient seen today for follow up; the plan is unchanged. Call Maria Garcia at 617-555-0143 later."
    echo.stream = lambda *args, **kwargs: FailingStream(echo._answer(args[1]), 3, 5)
    api_client.force_authenticate(alice)
    events = native_events(post(api_client, deployment, stream=True))
    shown = "".join(data["text"] for name, data in events if name == "delta")
    name, error = events[-1]
    assert name == "error" and error["status"] == 503 and error["type"].endswith("/runtime-unavailable")
    assert echo.answer.startswith(shown)  # what was released is checked text; the held-back rest never leaves
    assert shown == "Patient seen today for follow up; the plan is unchanged. "  # the plain opening left at once
    assert "Call" not in shown and "Maria" not in shown and "617" not in shown  # the first word that might not be
    event = AuditEvent.objects.get(event_type="model.inference", resource_id=deployment.public_id)
    assert event.outcome == "error" and event.details["refused"] == "runtime-unavailable"


def test_openai_streams_report_a_failure_as_an_error_event(api_client, alice, acme, echo):
    deployment = make_deployment(acme)
    echo.answer = "the plan is unchanged and the patient agrees with it. " * 4
    echo.stream = lambda *args, **kwargs: FailingStream(echo._answer(args[1]), 3, 5)
    api_client.force_authenticate(alice)
    body = {"model": deployment.name, "stream": True, "messages": [{"role": "user", "content": "Hello"}]}
    response = api_client.post("/v1/chat/completions", body, format="json")
    blocks = b"".join(response.streaming_content).decode().strip().split("\n\n")
    last = json.loads(blocks[-1].removeprefix("data: "))
    assert last["error"]["code"] == "runtime-unavailable" and last["error"]["type"] == "server_error"
    assert "[DONE]" not in blocks[-1]


def test_without_the_disclosure_log_a_stream_is_refused_before_anything_is_sent(
    api_client, alice, acme, echo, monkeypatch
):
    monkeypatch.setattr("deployments.gateway._disclosure_recorder", None)
    deployment = make_deployment(acme)
    api_client.force_authenticate(alice)
    response = post(api_client, deployment, stream=True)
    assert response.status_code == 503 and response.json()["type"].endswith("/disclosure-log-unavailable")
    assert echo.prompts == []
    assert AuditEvent.objects.get(event_type="model.inference").outcome == "error"
