"""The console playground: the streamed answer (session + CSRF, server-sent events of released text only),
Stop audited as cancelled, PHI marked in the prompt and the answer, and the four modes explained."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.test import Client

from accessctl.actor import Actor
from accessctl.services import role_assign, role_create
from audit.models import AuditEvent
from deployments.highlight import describe, marked
from phi import DeidContext, Entity, get_engine
from phi.stream import HoldBack
from tests.deployments.fakes import EchoProvider, use_echo_provider
from tests.deployments.test_gateway import SEED_PROMPT, make_deployment
from tests.deployments.test_openai_api import server_closes as server_closes
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

FORM = {"prompt": SEED_PROMPT, "phi_handling": "redact", "max_tokens": "64", "temperature": "0.2"}
TIP = re.compile(r'<span class="phi-tip">[^<]*</span>')


@pytest.fixture
def echo(monkeypatch) -> EchoProvider:
    return use_echo_provider(monkeypatch)


def plain(html: str) -> str:
    """The text a reader sees in a marked block, without the hover tips and tags."""
    return re.sub(r"<[^>]+>", "", TIP.sub("", html)).replace("&amp;", "&").replace("&#x27;", "'")


def block(html: str, testid: str) -> str:
    return html.split(f'data-testid="{testid}">', 1)[1].split("</pre>", 1)[0]


def parse(chunks: list[bytes]) -> list[tuple[str, dict[str, Any]]]:
    out = []
    for part in b"".join(chunks).decode().strip().split("\n\n"):
        name, data = part.split("\n", 1)
        out.append((name.removeprefix("event: "), json.loads(data.removeprefix("data: "))))
    return out


def stream(client, deployment, **form):
    return client.post(f"/deployments/{deployment.public_id}/playground/stream", {**FORM, **form})


def test_the_stream_shows_only_redacted_text_and_marks_it(client, alice, acme, echo):
    deployment = make_deployment(acme)
    client.force_login(alice)
    response = stream(client, deployment)
    assert response.status_code == 200 and response["Content-Type"] == "text/event-stream"
    assert "no-store" in response["Cache-Control"]
    events = parse(list(response.streaming_content))
    names = [name for name, _ in events]
    assert names[0] == "prompt" and names[-1] == "done" and names.count("delta") > 1
    prompt_html = events[0][1]["html"]
    assert plain(block(prompt_html, "prompt-marked")) == SEED_PROMPT
    assert '<mark class="phi phi-name" tabindex="0" data-phi-type="NAME">John Smith' in prompt_html
    assert "[REDACTED NAME]" in plain(block(prompt_html, "processed-prompt"))
    released = "".join(data["text"] for name, data in events if name == "delta")
    assert "Maria Garcia" not in released and "John Smith" not in released and "[REDACTED NAME]" in released
    done = events[-1][1]
    assert plain(block(done["html"], "answer")) == released  # the panel shows exactly what was released
    assert '<mark class="phi phi-name" tabindex="0" data-phi-type="NAME">[REDACTED NAME]' in block(
        done["html"], "answer"
    )
    assert done["status"].startswith("Answer complete: redact mode")
    [event] = AuditEvent.objects.filter(event_type="model.inference")
    assert event.outcome == "success" and event.details["stream"] is True and event.details["mode"] == "redact"


def test_detect_mode_streams_the_raw_answer_warns_and_marks_what_reached_the_model(client, alice, acme, echo):
    deployment = make_deployment(acme)
    client.force_login(alice)
    events = parse(list(stream(client, deployment, phi_handling="detect").streaming_content))
    prompt_html = events[0][1]["html"]
    assert 'data-testid="detect-sent"' in prompt_html and "2 identifiers reached the model unchanged" in prompt_html
    assert plain(block(prompt_html, "processed-prompt")) == SEED_PROMPT
    answer = block(events[-1][1]["html"], "answer")
    assert re.search(r'data-phi-type="NAME">(Dr\. )?Maria Garcia<span class="phi-tip">NAME, found by ', answer)
    assert echo.prompts == [SEED_PROMPT]


def test_de_identified_stream_marks_the_stand_ins(client, alice, acme, echo):
    deployment = make_deployment(acme)
    client.force_login(alice)
    events = parse(list(stream(client, deployment, phi_handling="de-identify").streaming_content))
    released = "".join(data["text"] for name, data in events if name == "delta")
    assert "Maria Garcia" not in released and "John Smith" not in released
    answer = block(events[-1][1]["html"], "answer")
    assert plain(answer) == released and answer.count('data-phi-type="NAME"') >= 2


def test_stop_closes_the_stream_and_the_gateway_audits_it_cancelled(client, alice, acme, echo, server_closes):
    deployment = make_deployment(acme)
    echo.answer = "The plan for the week: " + "rest, fluids and a follow-up call. " * 40
    client.force_login(alice)
    response = stream(client, deployment)
    chunks = iter(response.streaming_content)
    first, second = next(chunks), next(chunks)
    assert b"event: prompt" in first and b"event: delta" in second
    server_closes(response)  # what the server does when the browser aborts the fetch
    [event] = AuditEvent.objects.filter(event_type="model.inference")
    assert event.outcome == "cancelled" and 0 < event.details["released_chars"] < len(echo.answer)
    assert echo.streams[0].closed  # the runtime's stream was closed: it stops generating


def test_refusals_and_form_errors_come_back_as_the_panel_with_their_status(client, alice, acme, echo):
    deployment = make_deployment(acme)
    client.force_login(alice)
    refused = stream(client, deployment, phi_handling="reject")
    assert refused.status_code == 422 and refused["X-Playground"] == "panel"
    assert '<strong data-testid="refused-types">DATE, NAME</strong>' in refused.content.decode()
    invalid = stream(client, deployment, prompt="", max_tokens="0")
    html = invalid.content.decode()
    assert invalid.status_code == 400 and 'data-field="prompt"' in html and 'data-field="max_tokens"' in html
    assert echo.prompts == []


def test_the_stream_needs_the_csrf_token_and_text_generate(alice, acme, echo):
    deployment = make_deployment(acme)
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(alice)
    assert stream(strict, deployment).status_code == 403  # no token: the CSRF middleware refuses
    reader = UserFactory.create(username="reader", organization=acme)
    role = role_create(actor=Actor(organization=acme, user=alice), name="reader", permissions=["deployment:read"])
    role_assign(actor=None, organization=acme, user=reader, role=role)
    client = Client()
    client.force_login(reader)
    assert stream(client, deployment).status_code == 403
    assert client.get(f"/deployments/{deployment.public_id}/playground/stream").status_code == 405
    assert echo.prompts == [] and not AuditEvent.objects.filter(event_type="model.inference").exists()


def test_no_value_of_the_prompt_reaches_the_audit_log(client, alice, acme, echo):
    deployment = make_deployment(acme)
    client.force_login(alice)
    list(stream(client, deployment, phi_handling="detect").streaming_content)
    stored = json.dumps([e.details for e in AuditEvent.objects.all()])
    for value in ("John", "Smith", "1965", "Maria", "Garcia"):
        assert value not in stored


def test_the_four_modes_are_explained_and_detect_warns(client, alice, acme):
    deployment = make_deployment(acme)
    client.force_login(alice)
    html = client.get(f"/deployments/{deployment.public_id}/").content.decode()
    assert re.findall(r'name="phi_handling" id="phi-mode-([a-z-]+)"', html) == [
        "detect", "redact", "de-identify", "reject"
    ]  # fmt: skip
    assert 'value="redact" checked' in html
    assert "the prompt reaches the model unchanged, identifiers included" in html
    assert "Detect only sends PHI to the model unchanged." in html
    assert "nothing is sent to the model" in html and "realistic stand-ins" in html


def test_a_deployment_that_requires_redaction_does_not_offer_detect(client, alice, acme):
    deployment = make_deployment(acme, security_settings={"phi_handling": "redact"})
    client.force_login(alice)
    html = client.get(f"/deployments/{deployment.public_id}/").content.decode()
    assert 'id="phi-mode-detect"' not in html and 'data-testid="detect-warning"' not in html
    assert "This deployment requires at least redact; Detect only is not offered." in " ".join(html.split())


def test_marks_escape_the_text_and_name_type_and_recognizer_not_offsets():
    text = "<b>Dr. Maria Garcia</b> saw the patient."
    entity = Entity(7, 19, "NAME", 0.9, "TitleNameRecognizer", "a title before it")
    html = str(marked(text, [entity]))
    assert html.startswith('&lt;b&gt;Dr. <mark class="phi phi-name"')
    assert '<span class="phi-tip">NAME, found by title name recognizer: a title before it</span>' in html
    assert "7" not in plain(html) and "19" not in plain(html)
    assert describe(Entity(0, 3, "MRN", 0.8)) == "MRN, found by the PHI engine"
    assert str(marked("abc", [entity], spans=[])) == "abc"  # mismatched spans: the text plain, nothing mismarked


def test_the_engine_and_the_hold_back_window_say_where_each_replacement_is():
    engine = get_engine()
    context = DeidContext(b"k" * 32, "patient-1")
    for mode in ("redact", "deidentify", "detect"):
        whole = engine.process(SEED_PROMPT, mode, context=context)
        assert len(whole.spans) == len(whole.entities) == 2
        window = HoldBack(engine, mode, context=context, hold=8, step=4)
        out = "".join(window.feed(SEED_PROMPT[i : i + 5]) for i in range(0, len(SEED_PROMPT), 5)) + window.finish()
        assert len(window.spans) == len(window.entities)
        for (start, end), entity in zip(window.spans, window.entities, strict=True):
            shown = out[start:end]
            if mode == "redact":
                assert shown == f"[REDACTED {entity.type}]"
            elif mode == "detect":
                assert shown == SEED_PROMPT[entity.start : entity.end]
            else:
                assert shown and shown != SEED_PROMPT[entity.start : entity.end]


def test_the_sidebar_playground_lists_the_ready_deployments_one_may_prompt(client, alice, acme, globex):
    ready = make_deployment(acme, name="ward-notes")
    make_deployment(acme, name="old-notes", state="stopped")
    make_deployment(globex, name="globex-notes")
    client.force_login(alice)
    page = client.get("/playground/")
    assert page.status_code == 200
    assert {"label": "Playground", "url": "/playground/", "active": True} in page.context["nav_items"]
    html = page.content.decode()
    assert f'href="/deployments/{ready.public_id}/#playground-heading"' in html
    assert "old-notes" not in html and "globex-notes" not in html

    reader = UserFactory.create(username="reader", organization=acme)
    role = role_create(actor=Actor(organization=acme, user=alice), name="reader", permissions=["deployment:read"])
    role_assign(actor=None, organization=acme, user=reader, role=role)
    client.force_login(reader)
    assert client.get("/playground/").status_code == 403
    assert "/playground/" not in [item["url"] for item in client.get("/deployments/").context["nav_items"]]
