"""Through Chromium: create a local deployment with the form, watch it become ready, prompt it, stop it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from deployments.catalog import catalog_ensure
from deployments.models import Deployment
from deployments.providers.local import stop_runtime
from tests.e2e.test_login import sign_in
from tests.factories import TEST_PASSWORD

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]

SMOL = "HuggingFaceTB/SmolLM2-135M-Instruct"
SEED_PROMPT = "Patient John Smith (DOB: 01/15/1965) has been diagnosed with type 2 diabetes."


def stop_local_runtimes() -> None:
    for deployment in Deployment.objects.filter(provider="local"):
        state = deployment.provider_state
        if state.get("pid") and state.get("port"):
            stop_runtime(int(state["pid"]), int(state["port"]))


def test_a_local_deployment_is_created_watched_until_ready_prompted_and_stopped(
    page, live_server, celery_worker, alice
):
    catalog_ensure()  # transactional tests flush the data migration's catalog rows
    sign_in(page, live_server, "alice", TEST_PASSWORD)
    expect(page).to_have_url(f"{live_server.url}/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Deployments").click()
    expect(page.get_by_role("heading", name="Deployments")).to_be_visible()
    page.get_by_role("link", name="New deployment").click()

    page.get_by_label("Deployment name").fill("console-assistant")
    page.get_by_label("Model", exact=True).select_option(SMOL)
    page.get_by_label("Provider").select_option("local")
    page.get_by_label("Tags").fill("compliance=hipaa")
    page.get_by_role("button", name="Create deployment").click()
    try:
        expect(page.get_by_role("heading", name="console-assistant", exact=True)).to_be_visible()
        # htmx polls the progress partial until the real worker has the llama.cpp server answering.
        expect(page.get_by_test_id("deployment-state")).to_have_text("ready", timeout=120_000)
        expect(page.get_by_test_id("progress-percent")).to_have_text("100%")
        expect(page.locator("#deployment-progress")).not_to_have_attribute("hx-trigger", "every 1s")

        page.get_by_label("Prompt", exact=True).fill(SEED_PROMPT)
        page.get_by_role("radio", name="Redact").check()
        page.get_by_label("Max tokens").fill("24")
        page.get_by_role("button", name="Send").click()
        processed = page.get_by_test_id("processed-prompt")
        expect(processed).to_contain_text("[REDACTED NAME]", timeout=60_000)
        expect(processed).not_to_contain_text("John Smith")
        # the answer streams in; once complete it is there, whatever it says
        expect(page.get_by_test_id("playground-status")).to_have_text(re.compile("^Answer complete"), timeout=60_000)
        expect(page.get_by_test_id("answer")).to_have_text(re.compile(r"\S"))
        expect(page.locator('[data-testid="phi-counts"] tr[data-type="NAME"]')).to_be_visible()
        # The recent-inferences table reloads itself after the call (metadata only).
        expect(page.get_by_test_id("inference-row")).to_have_count(1)
        assert "John" not in page.url and "prompt" not in page.url

        page.get_by_text("Stop this deployment…").click()
        page.get_by_role("button", name="Stop console-assistant").click()
        expect(page.get_by_test_id("deployment-state")).to_have_text("stopped", timeout=60_000)
    finally:
        stop_local_runtimes()
