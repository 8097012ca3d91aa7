"""Through Chromium: a requester asks for break-glass access, two approvers approve in their own browser
contexts, the requester uses the grant on a deployment, the grant expires and stays in the history."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone
from playwright.sync_api import expect

from accessctl.actor import Actor
from deployments.catalog import catalog_ensure
from emergency.models import EmergencyAccessRequest
from emergency.services import expire_due
from emergency.settings_section import EmergencyChanges, emergency_policy_update
from tests.conftest import grant
from tests.deployments.fakes import use_echo_provider
from tests.deployments.test_gateway import make_deployment
from tests.e2e.test_login import sign_in
from tests.factories import TEST_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)
REASON = "Code blue in ICU bed 4; the on-call clinician's account is locked."
PROMPT = "Summarise the sepsis escalation protocol in two sentences."


def playground_post(page, live_server, deployment_id: str) -> int:
    """POST a prompt straight to the playground with this browser's session (and CSRF token): the status."""
    token = page.locator("input[name=csrfmiddlewaretoken]").first.input_value()
    response = page.request.post(
        f"{live_server.url}/deployments/{deployment_id}/playground",
        form={"csrfmiddlewaretoken": token, "prompt": PROMPT, "phi_handling": "redact", "max_tokens": "16",
              "temperature": "0.2"},
        headers={"Referer": f"{live_server.url}/deployments/{deployment_id}/"},
    )  # fmt: skip
    return int(response.status)


def test_break_glass_from_request_to_expiry(browser, page, live_server, monkeypatch, acme, alice):
    catalog_ensure()  # transactional tests flush the data migration's catalog rows
    use_echo_provider(monkeypatch)  # the live server runs in this process: its gateway answers instantly
    with transaction.atomic():  # the settings update runs in its caller's transaction
        emergency_policy_update(
            actor=Actor(organization=acme, user=alice),
            changes=EmergencyChanges(enabled=True, authorized_roles=["compliance-officer", "security-admin"],
                                     require_multi_approval=True, approvals_required=2, access_duration_hours=4),
        )  # fmt: skip
    nurse = UserFactory.create(username="nurse", organization=acme)
    grant(nurse, acme, "compliance-officer")  # may read deployments, may not prompt them
    for name in ("sec1", "sec2"):
        grant(UserFactory.create(username=name, organization=acme), acme, "security-admin")
    icu = make_deployment(acme, name="icu-assistant")
    deployment_url = f"{live_server.url}/deployments/{icu.public_id}/"

    # Before: the requester sees the deployment but has no playground, and a prompt is refused.
    sign_in(page, live_server, "nurse", TEST_PASSWORD)
    expect(page).to_have_url(f"{live_server.url}/")
    page.goto(deployment_url)
    expect(page.get_by_role("heading", name="icu-assistant")).to_be_visible()
    expect(page.get_by_role("heading", name="Playground")).to_have_count(0)
    assert playground_post(page, live_server, icu.public_id) == 403

    # The second approver is already looking at the inbox: the request appears there by itself.
    contexts = [browser.new_context(), browser.new_context()]
    try:
        sec1, sec2 = (context.new_page() for context in contexts)
        for approver_page, name in ((sec1, "sec1"), (sec2, "sec2")):
            approver_page.set_default_timeout(15_000)
            sign_in(approver_page, live_server, name, TEST_PASSWORD)
            expect(approver_page).to_have_url(f"{live_server.url}/")
        sec2.get_by_role("navigation", name="Main").get_by_role("link", name="Emergency access").click()
        expect(sec2.get_by_test_id("inbox-empty")).to_be_visible()

        page.get_by_role("navigation", name="Main").get_by_role("link", name="Emergency access").click()
        page.get_by_label("Resource").fill("deployment/icu-assistant")
        page.get_by_role("checkbox", name=re.compile(r"^text:generate ")).check()
        page.get_by_label("Reason").fill(REASON)
        page.get_by_role("button", name="Request access").click()
        expect(page.get_by_role("status")).to_contain_text("2 approvals needed")
        request = EmergencyAccessRequest.objects.get(requester=nurse)
        mine = page.locator(f'[data-testid="my-request"][data-request="{request.public_id}"]')
        expect(mine.get_by_test_id("request-status")).to_have_text("pending")

        item2 = sec2.locator(f'[data-testid="inbox-item"][data-request="{request.public_id}"]')
        expect(item2).to_be_visible()  # htmx polling, no reload
        expect(item2.get_by_test_id("reason")).to_have_text(REASON)
        item2.get_by_label("Comment").fill("confirmed with the ICU charge nurse")  # kept while the inbox refreshes

        sec1.goto(f"{live_server.url}/emergency/")
        item1 = sec1.locator(f'[data-testid="inbox-item"][data-request="{request.public_id}"]')
        item1.get_by_label("Comment").fill("verified the code blue with the attending")
        item1.get_by_role("button", name="Approve").click()
        expect(sec1.get_by_role("status")).to_contain_text("still needs more approvals")
        expect(mine.get_by_test_id("request-status")).to_have_text("pending")  # one of two grants nothing

        expect(item2.get_by_test_id("approvals")).to_contain_text("1 of 2", timeout=10_000)
        expect(item2.get_by_label("Comment")).to_have_value("confirmed with the ICU charge nurse")
        item2.get_by_role("button", name="Approve").click()
        expect(sec2.get_by_role("status")).to_contain_text("the grant is now active")
        grant_row = sec2.locator(f'[data-testid="active-grant"][data-request="{request.public_id}"]')
        expect(grant_row.get_by_test_id("countdown")).to_have_text(re.compile(r"^3 h 59 min \d\d s left$"))

        # The requester's page (not reloaded) shows the grant with a countdown.
        expect(mine.get_by_test_id("request-status")).to_have_text("approved", timeout=10_000)
        expect(mine.get_by_test_id("countdown")).to_have_text(re.compile(r"^3 h 59 min \d\d s left$"))

        # During: the playground is there and answers.
        page.goto(deployment_url)
        page.get_by_label("Prompt", exact=True).fill(PROMPT)
        page.get_by_role("button", name="Send").click()
        expect(page.get_by_test_id("answer")).to_contain_text("Echo:", timeout=30_000)  # the PHI engine loads
        assert playground_post(page, live_server, icu.public_id) == 200

        # The grant's end passes (no time travel across processes: move the end instead); the beat has not run.
        EmergencyAccessRequest.objects.filter(pk=request.pk).update(
            grant_expires_at=timezone.now() - timedelta(seconds=1)
        )
        with page.expect_response(re.compile(r"/playground/stream$")) as refused:
            page.get_by_label("Prompt", exact=True).fill(PROMPT)
            page.get_by_role("button", name="Send").click()
        assert refused.value.status == 403
        expect(page.get_by_test_id("playground-status")).to_have_text("Not sent: the server answered 403.")
        page.reload()
        expect(page.get_by_role("heading", name="Playground")).to_have_count(0)

        page.goto(f"{live_server.url}/emergency/")
        expect(mine.get_by_test_id("request-status")).to_have_text("expired")
        expect(mine.get_by_test_id("countdown")).to_have_text("expired")
        expect(grant_row.get_by_test_id("countdown")).to_have_text("expired", timeout=10_000)  # sec2's list too

        assert expire_due() == {"pending": 0, "grants": 1}
        page.reload()
        history = page.locator(f'[data-testid="history-row"][data-request="{request.public_id}"]')
        expect(history.get_by_test_id("request-status")).to_have_text("expired")
        expect(history.get_by_test_id("decision")).to_have_text(["approved by sec1", "approved by sec2"])
        expect(history.get_by_test_id("review-status")).to_have_text("awaiting review")

        # What was done under the grant is listed for the post-use review.
        sec1.goto(f"{live_server.url}/emergency/{request.public_id}/")
        expect(sec1.get_by_test_id("decision-row")).to_have_count(2)
        expect(sec1.locator('[data-testid="activity-row"][data-event="model.inference"]')).to_have_count(2)
        expect(sec1.get_by_role("heading", name="Post-use review")).to_be_visible()
    finally:  # stop the pages polling before the test database goes away
        for context in contexts:
            context.close()
        page.goto("about:blank")
