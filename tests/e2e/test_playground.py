"""Through Chromium, by keyboard alone (Tab, Enter, Space, arrows; no mouse): create an external deployment,
prompt it in the playground and watch the answer stream with its PHI marked, stop a slow answer, and approve a
break-glass request. axe-core checks the playground in each state it passes through (0 serious or critical)."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pytest
from django.db import transaction
from playwright.sync_api import expect

from accessctl.actor import Actor
from audit.models import AuditEvent
from deployments.catalog import catalog_ensure
from deployments.models import Deployment
from deployments.tasks import provision_deployment
from emergency.models import RequestStatus
from emergency.services import request_access
from emergency.settings_section import EmergencyChanges, emergency_policy_update
from phi import get_engine
from tests.conftest import grant
from tests.deployments.fakes import FakeOpenAIServer, use_echo_provider
from tests.deployments.test_gateway import make_deployment
from tests.e2e.test_console_shell import AXE, _axe, _tab_to
from tests.factories import TEST_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

PROMPT = "Patient John Smith (DOB: 01/15/1965) has been diagnosed with type 2 diabetes."
REASON = "Code blue in ICU bed 4; the on-call clinician's account is locked."
SCREENSHOTS = os.environ.get("PAITIENT_SCREENSHOTS_DIR", "")


@pytest.fixture
def keyboard_page(browser):
    # axe is injected as a script, which the console's CSP forbids: this context bypasses the CSP (nothing else)
    context = browser.new_context(bypass_csp=True, viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    page.goto("about:blank")  # stop the pages polling before the test database goes away
    context.close()


def tab_to_field(page, label: str, limit: int = 80) -> None:
    """Press Tab until the focused form control is the one labelled `label` (a select's own text is its options)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.labels?.[0]?.innerText.trim() ?? ''") == label:
            outline = page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
            assert outline not in ("none", ""), f"no visible focus on {label}"
            return
    raise AssertionError(f"{label} is not reachable by Tab")


def keyboard_sign_in(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/login/")
    _tab_to(page, "Username")
    page.keyboard.type(username)
    _tab_to(page, "Password")
    page.keyboard.type(TEST_PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()


def assert_axe_clean(page, state: str) -> None:
    if not AXE.exists():
        return  # scripts/test installs it (npm ci in tests/e2e/axe); the keyboard flow is still checked
    problems = [f"{v['id']} ({v['impact']}) {v['help']} at {v['targets']}" for v in _axe(page)]
    assert not problems, f"playground, {state}:\n" + "\n".join(problems)


def screenshot(page, name: str) -> None:
    if SCREENSHOTS:
        page.screenshot(path=str(Path(SCREENSHOTS) / f"{name}.png"), full_page=False)


def tab_to_mark(page, limit: int = 40) -> None:
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.matches('#playground-result [data-testid=answer] mark.phi')"):
            return
    raise AssertionError("no marked PHI in the answer is reachable by Tab")


def wait_for_inference(outcome: str, timeout: float = 15.0) -> AuditEvent:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        event = AuditEvent.objects.filter(event_type="model.inference", outcome=outcome).first()
        if event is not None:
            return event
        time.sleep(0.2)
    raise AssertionError(f"no model.inference event with outcome {outcome}")


def test_create_a_deployment_and_stream_a_prompt_by_keyboard(keyboard_page, live_server, settings, monkeypatch,
                                                             alice):  # fmt: skip
    page = keyboard_page
    catalog_ensure()  # transactional tests flush the data migration's catalog rows
    settings.PAITIENT_EXTERNAL_ALLOW_PRIVATE_NETWORKS = True  # the endpoint is a fake on loopback
    echo = use_echo_provider(monkeypatch)  # the gateway's runtime: instant and deterministic
    get_engine()  # built ahead, as each gunicorn worker does when it starts (the live server is this process)
    remote = FakeOpenAIServer(api_key="sk-remote-0123456789", model="remote-smol")
    try:
        keyboard_sign_in(page, live_server, "alice")
        _tab_to(page, "Deployments")
        page.keyboard.press("Enter")
        expect(page.get_by_role("heading", name="Deployments")).to_be_visible()
        _tab_to(page, "New deployment")
        page.keyboard.press("Enter")
        expect(page.get_by_role("heading", name="New deployment")).to_be_visible()
        tab_to_field(page, "Deployment name")
        page.keyboard.type("ward-assistant")
        tab_to_field(page, "Provider")
        page.keyboard.type("External")  # a closed select picks the option its label starts with
        tab_to_field(page, "Endpoint URL")
        page.keyboard.type(remote.url)
        tab_to_field(page, "Endpoint API key")
        page.keyboard.type("sk-remote-0123456789")
        tab_to_field(page, "Remote model name")
        page.keyboard.type("remote-smol")
        _tab_to(page, "Create deployment")
        page.keyboard.press("Enter")
        expect(page.get_by_role("heading", name="ward-assistant", exact=True)).to_be_visible()
        deployment = Deployment.objects.get(name="ward-assistant")
        assert deployment.provider == "external"
        assert provision_deployment(deployment.pk) == "ready"  # the worker's job, run here
        # the page polls its progress and reloads itself once ready: the playground appears
        expect(page.get_by_role("heading", name="Playground")).to_be_visible(timeout=20_000)
        assert_axe_clean(page, "before a prompt")

        _tab_to(page, "Prompt")
        page.keyboard.type(PROMPT)
        _tab_to(page, "Redact")  # the chosen radio of the group takes the focus
        page.keyboard.press("ArrowUp")
        expect(page.get_by_role("radio", name="Detect only")).to_be_checked()
        expect(page.get_by_test_id("detect-warning")).to_be_visible()
        assert_axe_clean(page, "detect chosen, warning shown")
        screenshot(page, "playground-detect-warning-1400")
        page.keyboard.press("ArrowDown")
        expect(page.get_by_role("radio", name="Redact")).to_be_checked()
        expect(page.get_by_test_id("detect-warning")).to_be_hidden()
        _tab_to(page, "Send")
        page.keyboard.press("Enter")

        answer = page.get_by_test_id("answer")
        expect(answer).to_contain_text("[REDACTED NAME]", timeout=30_000)  # the first call loads the PHI engine
        expect(page.get_by_test_id("playground-status")).to_have_text(re.compile(r"^Answer complete: redact mode"))
        expect(page.get_by_test_id("processed-prompt")).not_to_contain_text("John Smith")
        assert echo.prompts and "John Smith" not in echo.prompts[0]
        shown = answer.evaluate(
            "e => [...e.childNodes].map(n => n.nodeType === 3 ? n.data : n.firstChild.data).join('')"
        )
        assert "Maria Garcia" not in shown and shown.startswith("Echo: Patient [REDACTED NAME]")
        prompt_mark = page.get_by_test_id("prompt-marked").locator("mark.phi-name")
        expect(prompt_mark).to_have_attribute("data-phi-type", "NAME")
        tab_to_mark(page)
        tip = page.locator("#playground-result [data-testid=answer] mark.phi:focus .phi-tip")
        expect(tip).to_contain_text(re.compile(r"^NAME, found by "))
        assert (tip.bounding_box() or {"width": 0})["width"] > 40  # shown on focus, not only on hover
        outline = page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
        assert outline not in ("none", ""), "no visible focus on a mark"
        assert_axe_clean(page, "answer with marked PHI, a mark focused")
        screenshot(page, "playground-answer-1400")
        page.keyboard.press("Escape")  # the tip can be dismissed without moving the focus
        assert (tip.bounding_box() or {"width": 0})["width"] <= 1
        expect(page.get_by_test_id("inference-row")).to_have_count(1)  # the recent inferences reload themselves
        assert wait_for_inference("success").details["stream"] is True
        assert "John" not in page.url and "prompt" not in page.url

        # reject mode: the refusal names the types, nothing is sent
        _tab_to(page, "Redact")
        page.keyboard.press("ArrowDown")  # de-identify
        page.keyboard.press("ArrowDown")  # reject
        expect(page.get_by_role("radio", name="Reject")).to_be_checked()
        _tab_to(page, "Send")
        page.keyboard.press("Enter")
        expect(page.get_by_test_id("refused-types")).to_have_text("DATE, NAME")
        assert len(echo.prompts) == 1
        assert_axe_clean(page, "refused in reject mode")

        tab_to_field(page, "Max tokens")
        page.keyboard.press("Control+A")
        page.keyboard.type("0")
        page.keyboard.press("Enter")
        expect(page.locator('#playground-result [data-field="max_tokens"]')).to_be_visible()
        expect(page.get_by_test_id("playground-status")).to_have_text("Not sent: correct the fields named below.")
        assert_axe_clean(page, "a field error")
    finally:
        remote.close()


def test_stop_cancels_a_streaming_answer_by_keyboard(keyboard_page, live_server, monkeypatch, acme, alice):
    page = keyboard_page
    catalog_ensure()
    echo = use_echo_provider(monkeypatch)
    echo.answer = "Discharge plan: " + "rest, fluids, a follow-up call and a daily weight. " * 30
    echo.delay = 0.05  # about 25 s for the whole answer: time to stop it
    deployment = make_deployment(acme, name="slow-assistant")
    keyboard_sign_in(page, live_server, "alice")
    page.goto(f"{live_server.url}/deployments/{deployment.public_id}/")
    expect(page.get_by_role("heading", name="Playground")).to_be_visible()
    _tab_to(page, "Prompt")
    page.keyboard.type("Summarise the discharge plan.")
    _tab_to(page, "Send")
    page.keyboard.press("Enter")
    status = page.get_by_test_id("playground-status")
    receiving = re.compile(r"^Receiving the answer… \d+ characters so far\.$")
    expect(status).to_have_text(receiving, timeout=30_000)  # the first call in a process loads the PHI engine
    stop = page.get_by_role("button", name="Stop")
    expect(stop).to_be_visible()
    expect(page.get_by_role("button", name="Send")).to_have_attribute("aria-disabled", "true")
    assert_axe_clean(page, "streaming")
    screenshot(page, "playground-streaming-1400")
    page.keyboard.press("Tab")  # Stop comes right after Send
    assert page.evaluate("() => document.activeElement.innerText") == "Stop"
    page.keyboard.press("Enter")
    expect(status).to_have_text(re.compile(r"^Stopped\."))
    expect(stop).to_be_hidden()
    assert page.evaluate("() => document.activeElement.innerText") == "Send"  # the focus is not lost
    event = wait_for_inference("cancelled")
    assert 0 < event.details["released_chars"] < len(echo.answer)
    assert echo.streams[0].closed
    assert_axe_clean(page, "stopped")


def test_approve_a_break_glass_request_by_keyboard(keyboard_page, live_server, acme, alice):
    page = keyboard_page
    catalog_ensure()
    with transaction.atomic():  # the settings update runs in its caller's transaction
        emergency_policy_update(
            actor=Actor(organization=acme, user=alice),
            changes=EmergencyChanges(enabled=True, authorized_roles=["compliance-officer"],
                                     require_multi_approval=False, access_duration_hours=4),
        )  # fmt: skip
    nurse = UserFactory.create(username="nurse", organization=acme)
    grant(nurse, acme, "compliance-officer")
    grant(UserFactory.create(username="sec1", organization=acme), acme, "security-admin")
    make_deployment(acme, name="icu-assistant")
    with transaction.atomic():
        request = request_access(actor=Actor(organization=acme, user=nurse), resource="deployment/icu-assistant",
                                 permissions=["text:generate"], reason=REASON)  # fmt: skip

    keyboard_sign_in(page, live_server, "sec1")
    _tab_to(page, "Emergency access")
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{live_server.url}/emergency/")
    item = page.locator(f'[data-testid="inbox-item"][data-request="{request.public_id}"]')
    expect(item.get_by_test_id("reason")).to_have_text(REASON)
    _tab_to(page, "Comment")
    page.keyboard.type("verified the code blue with the attending")
    _tab_to(page, "Approve")
    page.keyboard.press("Space")
    expect(page.get_by_role("status")).to_contain_text("the grant is now active")
    request.refresh_from_db()
    assert request.status == RequestStatus.APPROVED
    assert request.decisions.get().comment == "verified the code blue with the attending"


def test_without_javascript_the_form_posts_and_the_page_shows_the_marked_answer(browser, live_server, monkeypatch,
                                                                                 acme, alice):  # fmt: skip
    catalog_ensure()
    use_echo_provider(monkeypatch)
    deployment = make_deployment(acme, name="plain-assistant")
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.set_default_timeout(30_000)  # the first call in a process loads the PHI engine
    try:
        keyboard_sign_in(page, live_server, "alice")
        page.goto(f"{live_server.url}/deployments/{deployment.public_id}/")
        tab_to_field(page, "Prompt")
        page.keyboard.type(PROMPT)
        _tab_to(page, "Send")
        page.keyboard.press("Enter")
        expect(page).to_have_url(f"{live_server.url}/deployments/{deployment.public_id}/playground")
        expect(page.get_by_test_id("answer").locator("mark.phi-name")).to_have_text(
            re.compile(r"^\[REDACTED NAME\]NAME, found by ")  # the mark and its tip's text
        )
        expect(page.get_by_test_id("prompt-marked").locator("mark.phi-date")).to_contain_text("01/15/1965")
        expect(page.get_by_label("Prompt", exact=True)).to_have_value("")  # the box never echoes the prompt
    finally:
        context.close()
