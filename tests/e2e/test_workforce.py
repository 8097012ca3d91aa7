"""Through Chromium: alice invites erin, who accepts, enrols MFA and signs in; alice deactivates bob while he
has a live session and an API key, and both are refused at their next request; bob resets a forgotten
password by e-mail and signs in with the new one."""

from __future__ import annotations

import base64
import re

import pytest
from django.core import mail
from django_otp.oath import TOTP
from playwright.sync_api import expect

from accessctl.api_keys import api_key_issue
from accessctl.security import settings_for
from audit.models import AuditEvent
from tests.conftest import grant
from tests.e2e.test_login import sign_in
from tests.e2e.test_mfa import code_at
from tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)
ERINS_PASSWORD = "marigold-quarry-thunder-58"
BOBS_NEW_PASSWORD = "cobalt-meadow-lighthouse-29"


def leave_the_dashboard(page) -> None:
    """Let the dashboard's live status panel land, then leave, so that no poll reaches the live server after the
    test (the test client would raise the error of a request that finds the database gone)."""
    expect(page.locator('[data-check="database"] .status')).to_have_text("OK")
    page.goto("about:blank")


def mailed_path(message: mail.EmailMessage, prefix: str) -> str:
    """The path of the link in the message (mail links name the configured console URL, not the test server)."""
    match = re.search(rf"https?://[^/\s]+({re.escape(prefix)}\S+)", str(message.body))
    assert match, message.body
    return match.group(1)


def test_invite_accept_enrol_mfa_and_sign_in(browser, page, live_server, acme, alice):
    sign_in(page, live_server, "alice", TEST_PASSWORD)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Users").click()
    expect(page.get_by_role("heading", name="Users")).to_be_visible()
    page.get_by_role("link", name="Invite someone").click()
    page.get_by_label("E-mail address").fill("erin@example.org")
    page.get_by_label("First name").fill("Erin")
    page.get_by_label("auditor").check()
    page.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_test_id("member-status")).to_have_text("invited")
    expect(page.get_by_test_id("invitation-status")).to_have_text("pending")
    assert [m.to for m in mail.outbox] == [["erin@example.org"]]
    link = mailed_path(mail.outbox[0], "/invite/")
    policy = settings_for(acme)  # the organisation requires MFA from now on
    policy.require_mfa = True
    policy.save()

    erins_browser = browser.new_context()
    erin = erins_browser.new_page()
    erin.goto(f"{live_server.url}{link}")
    expect(erin.get_by_test_id("invited-username")).to_have_text("erin@example.org")
    erin.get_by_label("New password").fill("erin@example.org")
    erin.get_by_label("Repeat the password").fill("erin@example.org")
    erin.get_by_role("button", name="Set password and join").click()
    expect(erin.get_by_role("alert").first).to_contain_text("too similar")
    erin.get_by_label("New password").fill(ERINS_PASSWORD)
    erin.get_by_label("Repeat the password").fill(ERINS_PASSWORD)
    erin.get_by_role("button", name="Set password and join").click()

    expect(erin).to_have_url(f"{live_server.url}/account/mfa")
    secret = erin.get_by_test_id("totp-secret").inner_text().strip()
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    step = TOTP(key).t()
    erin.get_by_label("Code", exact=True).fill(code_at(key, step))
    erin.get_by_role("button", name="Confirm").click()
    expect(erin.get_by_test_id("backup-codes").locator("li")).to_have_count(10)
    erin.get_by_role("button", name="Sign out").click()

    sign_in(erin, live_server, "erin@example.org", ERINS_PASSWORD)
    expect(erin).to_have_url(re.compile(r".*/login/mfa\?next=%2F$"))
    erin.get_by_label("Code", exact=True).fill(code_at(key, step + 1))
    erin.get_by_role("button", name="Verify").click()
    expect(erin.get_by_role("heading", name="Dashboard")).to_be_visible()
    expect(erin.get_by_test_id("organization-name")).to_have_text("Acme Health")
    leave_the_dashboard(erin)
    erins_browser.close()
    page.goto("about:blank")
    assert AuditEvent.objects.filter(event_type="user.invitation_accepted").count() == 1


def test_deactivation_refuses_a_live_session_and_a_key_at_their_next_request(
    browser, page, live_server, acme, alice, bob
):
    grant(bob, acme, "auditor")
    _, token = api_key_issue(actor=None, organization=acme, user=bob, name="bob laptop")
    api_client = browser.new_context(extra_http_headers={"Authorization": f"Bearer {token}"})
    api = api_client.request
    assert api.get(f"{live_server.url}/api/v1/me").status == 200
    bobs_browser = browser.new_context()
    bobs = bobs_browser.new_page()
    sign_in(bobs, live_server, "bob", TEST_PASSWORD)
    expect(bobs.get_by_role("heading", name="Dashboard")).to_be_visible()
    leave_the_dashboard(bobs)
    bobs.goto(f"{live_server.url}/account/")  # a page that does not poll
    expect(bobs.get_by_role("heading", name="Your account")).to_be_visible()

    sign_in(page, live_server, "alice", TEST_PASSWORD)
    page.goto(f"{live_server.url}/access/users?q=bob")
    page.get_by_role("link", name="bob").click()
    expect(page.get_by_test_id("member-status")).to_have_text("active")
    page.get_by_role("button", name="Deactivate").click()
    page.get_by_role("button", name="Deactivate bob").click()  # the confirmation names the member
    checklist = page.get_by_test_id("offboarding-checklist")
    expect(checklist.locator('[data-item="sessions_ended"]')).to_have_text("1")
    expect(checklist.locator('[data-item="api_keys_revoked"]')).to_have_text("1")

    bobs.reload()
    expect(bobs).to_have_url(re.compile(r".*/login/\?next=/account/$"))
    assert api.get(f"{live_server.url}/api/v1/me").status == 401
    sign_in(bobs, live_server, "bob", TEST_PASSWORD)
    expect(bobs.get_by_role("alert")).to_contain_text("Wrong username or password.")
    bobs_browser.close()
    api_client.close()
    page.goto("about:blank")


def test_password_reset_by_email(browser, page, live_server, acme, bob):
    page.goto(f"{live_server.url}/login/")
    page.get_by_role("link", name="Forgot your password?").click()
    page.get_by_label("Email").fill(bob.email)
    page.get_by_role("button", name="Send the link").click()
    expect(page.get_by_role("heading", name="Check your e-mail")).to_be_visible()
    assert [m.to for m in mail.outbox] == [[bob.email]]

    page.goto(f"{live_server.url}{mailed_path(mail.outbox[0], '/password-reset/')}")
    expect(page.get_by_role("heading", name="Choose a new password")).to_be_visible()
    page.get_by_label("New password", exact=True).fill("123456789012")
    page.get_by_label("New password confirmation").fill("123456789012")
    page.get_by_role("button", name="Set password").click()
    expect(page.get_by_role("alert").filter(has_text="entirely numeric")).to_be_visible()
    page.get_by_label("New password", exact=True).fill(BOBS_NEW_PASSWORD)
    page.get_by_label("New password confirmation").fill(BOBS_NEW_PASSWORD)
    page.get_by_role("button", name="Set password").click()
    expect(page.get_by_role("heading", name="Password changed")).to_be_visible()

    sign_in(page, live_server, "bob", TEST_PASSWORD)
    expect(page.get_by_role("alert")).to_contain_text("Wrong username or password.")
    sign_in(page, live_server, "bob", BOBS_NEW_PASSWORD)
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    leave_the_dashboard(page)
    assert AuditEvent.objects.filter(event_type="auth.password_reset.completed", user_id=bob.public_id).exists()
