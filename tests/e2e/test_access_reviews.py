"""Through Chromium, by keyboard only: olivia (compliance officer) starts an access review, keeps alice's role,
revokes bob's role behind the confirmation, keeps his key and signs the review off; bob's role is really gone,
and axe-core finds no serious accessibility violation on the review pages."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from accessctl.actor import Actor
from accessctl.api_keys import api_key_issue
from accessctl.models import RoleAssignment
from reviews.models import Campaign, CampaignStatus
from reviews.services import item_decide
from tests.conftest import grant
from tests.e2e.test_console_shell import AXE, WIDTHS, _axe, _no_sideways_scroll
from tests.e2e.test_login import sign_in
from tests.factories import TEST_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)
SHOTS = os.environ.get("PAITIENT_REVIEW_SHOTS_DIR", "")  # where to save screenshots of the review page, if set


def _decide_by_keyboard(page, who: str, grant_name: str, decision: str, comment: str = "") -> None:
    form = page.get_by_role("form", name=f"Decide on {grant_name} of {who}")
    form.get_by_role("radio", name=decision).focus()
    page.keyboard.press("Space")
    if comment:
        form.get_by_label("Comment").focus()
        page.keyboard.type(comment)
    form.get_by_role("button", name="Decide").focus()
    page.keyboard.press("Enter")


def test_a_reviewer_completes_a_small_review_by_keyboard(browser, live_server, acme, alice):
    olivia = UserFactory.create(username="olivia", organization=acme)
    grant(olivia, acme, "compliance-officer")
    bob = UserFactory.create(username="bob", organization=acme)
    grant(bob, acme, "auditor")
    api_key_issue(actor=None, organization=acme, user=bob, name="bob laptop")
    axe_present = Path(AXE).exists()

    context = browser.new_context(bypass_csp=True)  # axe is injected as a script, which the console's CSP forbids
    page = context.new_page()
    page.set_default_timeout(15_000)
    sign_in(page, live_server, "olivia", TEST_PASSWORD)
    expect(page.locator('[data-check="database"] .status')).to_have_text("OK")  # the dashboard's poll has landed
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Access reviews").focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{live_server.url}/access/reviews/")
    expect(page.get_by_role("heading", name="Access reviews", level=1)).to_be_visible()
    violations = _axe(page) if axe_present else []
    page.get_by_label("Name").focus()
    page.keyboard.type("Q4 2026 review")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Q4 2026 review", level=1)).to_be_visible()
    campaign = Campaign.objects.get()
    own = campaign.items.get(subject=olivia)
    item_decide(actor=Actor(organization=acme, user=alice), item=own, decision="keep")  # not olivia's to decide
    page.reload()
    expect(page.get_by_text("Your own access: another reviewer decides.")).to_have_count(0)  # decided already
    for width in WIDTHS:  # the decision forms sit in the table: the page must still fit a small laptop
        page.set_viewport_size({"width": width, "height": 900})
        _no_sideways_scroll(page)
        if SHOTS:
            page.screenshot(path=f"{SHOTS}/access-review-{width}.png", full_page=True)

    _decide_by_keyboard(page, "alice", "org-admin", "Keep")
    expect(page.get_by_role("status")).to_contain_text("org-admin of alice: kept")
    _decide_by_keyboard(page, "bob", "auditor", "Revoke")  # no reason given: the form says so
    expect(page.get_by_text("Say why the access is revoked.")).to_be_visible()
    _decide_by_keyboard(page, "bob", "auditor", "Revoke", "moved to billing, no audit duties")
    expect(page.get_by_role("heading", name="Revoke access", level=1)).to_be_visible()
    violations += _axe(page) if axe_present else []
    page.get_by_role("button", name="Revoke auditor").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("auditor of bob: revoked")
    _decide_by_keyboard(page, "bob", "bob laptop", "Keep")
    expect(page.get_by_role("status")).to_contain_text("bob laptop of bob: kept")
    violations += _axe(page) if axe_present else []

    page.get_by_label("I have reviewed every item and the decisions are final").focus()
    page.keyboard.press("Space")
    page.get_by_label("Note").focus()
    page.keyboard.type("Quarterly review done.")
    page.get_by_role("button", name="Sign off the review").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("campaign-status")).to_have_text("completed")
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.COMPLETED and campaign.signed_off_by == olivia
    assert not RoleAssignment.objects.filter(user=bob, role__name="auditor").exists()
    page.goto("about:blank")
    context.close()
    assert violations == [], violations
