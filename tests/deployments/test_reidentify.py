"""Re-identification: a holder of phi:reidentify gets the originals back (audited); nobody else ever does; the
sealed maps are gone once they expire."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from accessctl.actor import Actor
from accessctl.api_keys import api_key_issue
from accessctl.services import role_assign, role_create
from audit.models import AuditEvent
from deployments.models import ReidentificationMap
from deployments.tasks import purge_reidentification_maps
from tests.deployments.fakes import EchoProvider, use_echo_provider
from tests.deployments.test_gateway import SEED_PROMPT, make_deployment
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ORIGINALS = ("John Smith", "01/15/1965", "Maria Garcia")


@pytest.fixture
def echo(monkeypatch) -> EchoProvider:
    return use_echo_provider(monkeypatch)


@pytest.fixture
def deployment(acme):
    return make_deployment(acme, security_settings={"phi_handling": "deidentify"})


def chat(client, deployment, content=SEED_PROMPT, **extra):
    body = {"model": deployment.name, "messages": [{"role": "user", "content": content}], **extra}
    return client.post("/v1/chat/completions", body, format="json")


def use_key(client, organization, user) -> None:
    _, token = api_key_issue(actor=None, organization=organization, user=user, name="reid")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")


def raw_pairs(row: ReidentificationMap) -> bytes:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pairs FROM deployments_reidentificationmap WHERE id = %s", [row.pk])
        return bytes(cursor.fetchone()[0])


def test_a_holder_of_phi_reidentify_gets_the_originals_back_and_it_is_audited(
    api_client, alice, acme, deployment, echo
):
    use_key(api_client, acme, alice)  # org-admin holds every permission, phi:reidentify included
    plain = chat(api_client, deployment).json()
    text = plain["choices"][0]["message"]["content"]
    assert not any(value in text for value in ORIGINALS)  # the de-identified answer, as usual
    response = chat(api_client, deployment, reidentify=True)
    assert response.status_code == 200, response.json()
    restored = response.json()["choices"][0]["message"]["content"]
    assert restored == f"Echo: {SEED_PROMPT} Follow up with Dr. Maria Garcia next week."
    assert response.json()["phi"]["reidentified"] is True
    assert not any(value in echo.prompts[-1] for value in ORIGINALS)  # the model still saw surrogates only
    inference_id = response.json()["id"].removeprefix("chatcmpl-")
    event = AuditEvent.objects.get(event_type="phi.reidentified")
    assert event.user_id == alice.public_id and event.details == {"inference_id": inference_id, "restored": 3}
    stored = json.dumps([e.details for e in AuditEvent.objects.all()])
    assert not any(value in stored for value in ORIGINALS)
    row = ReidentificationMap.objects.get(inference_id=inference_id)
    assert ("John Smith" in dict(map(tuple, row.pairs)).values()) and b"John" not in raw_pairs(row)


def test_a_conversation_reidentifies_surrogates_from_its_earlier_calls(api_client, alice, acme, deployment, echo):
    use_key(api_client, acme, alice)
    first = chat(api_client, deployment, conversation_id="conv-1").json()
    surrogate_prompt = echo.prompts[-1]
    echo.answer = f"Earlier you said: {surrogate_prompt}"  # the model repeats surrogates from an earlier turn
    later = chat(api_client, deployment, content="What did I say?", conversation_id="conv-1", reidentify=True)
    assert later.json()["choices"][0]["message"]["content"] == f"Earlier you said: {SEED_PROMPT}"
    other = chat(api_client, deployment, content="What did I say?", conversation_id="conv-2", reidentify=True)
    assert "John Smith" not in other.json()["choices"][0]["message"]["content"]
    assert first["phi"]["reidentified"] is False


def test_without_the_permission_it_is_a_403_and_nothing_is_sent(api_client, alice, acme, deployment, echo):
    clinician = UserFactory.create(username="clinician", organization=acme)
    role = role_create(actor=Actor(organization=acme, user=alice), name="clinician",
                       permissions=["deployment:read", "text:generate"])  # fmt: skip
    role_assign(actor=Actor(organization=acme, user=alice), organization=acme, user=clinician, role=role)
    use_key(api_client, acme, clinician)
    allowed = chat(api_client, deployment)
    assert allowed.status_code == 200
    assert not any(v in allowed.json()["choices"][0]["message"]["content"] for v in ORIGINALS)
    refused = chat(api_client, deployment, reidentify=True)
    assert refused.status_code == 403
    error = refused.json()["error"]
    assert error["type"] == "permission_error" and "phi:reidentify" in error["message"]
    assert len(echo.prompts) == 1  # the refused call never reached the model
    assert AuditEvent.objects.get(event_type="access.denied").details["permission"] == "phi:reidentify"
    assert not AuditEvent.objects.filter(event_type="phi.reidentified").exists()


def test_reidentify_needs_deidentify_and_a_whole_answer(api_client, alice, acme, echo):
    redacting = make_deployment(acme, name="redacting", security_settings={"phi_handling": "redact"})
    use_key(api_client, acme, alice)
    assert chat(api_client, redacting, reidentify=True).json()["error"]["param"] == "reidentify"
    deid = make_deployment(acme, name="deid", security_settings={"phi_handling": "deidentify"})
    streamed = chat(api_client, deid, reidentify=True, stream=True)
    assert streamed.status_code == 400 and streamed.json()["error"]["param"] == "reidentify"
    assert echo.prompts == []


def test_the_native_endpoint_reidentifies_too(api_client, alice, deployment, echo):
    api_client.force_authenticate(alice)
    url = f"/api/v1/deployments/{deployment.public_id}/generate"
    body = {"prompt": SEED_PROMPT, "security_settings": {"phi_handling": "de-identify", "reidentify": True}}
    response = api_client.post(url, body, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["text"] == f"Echo: {SEED_PROMPT} Follow up with Dr. Maria Garcia next week."
    assert response.json()["phi"]["reidentified"] is True
    assert "John" not in response.json()["processed_prompt"]


def test_after_expiry_the_map_is_gone(api_client, alice, acme, deployment, echo, settings, monkeypatch):
    use_key(api_client, acme, alice)
    monkeypatch.setenv("PAITIENT_REIDENTIFY_TTL_SECONDS", "60")
    chat(api_client, deployment, conversation_id="conv-9")
    surrogate_prompt = echo.prompts[-1]
    [row] = ReidentificationMap.objects.all()
    assert timedelta(seconds=55) < row.expires_at - timezone.now() <= timedelta(seconds=60)
    assert purge_reidentification_maps() == 0  # not yet
    ReidentificationMap.objects.filter(pk=row.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    echo.answer = f"Earlier you said: {surrogate_prompt}"
    later = chat(api_client, deployment, content="What did I say?", conversation_id="conv-9", reidentify=True)
    assert later.json()["choices"][0]["message"]["content"] == echo.answer  # expired: nothing to restore from
    assert purge_reidentification_maps() == 1
    assert not ReidentificationMap.objects.filter(pk=row.pk).exists()
