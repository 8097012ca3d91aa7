"""In Chromium: an organisation requires MFA; a person enrols an authenticator app and later signs in with it."""

from __future__ import annotations

import base64
import re

import pytest
from django_otp.oath import TOTP
from playwright.sync_api import expect

from accessctl.security import settings_for
from tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)


def password_step(page, live_server) -> None:
    page.goto(f"{live_server.url}/")
    expect(page).to_have_url(f"{live_server.url}/login/?next=/")
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def code_at(key: bytes, step: int) -> str:
    """The authenticator app's code for one 30-second time step."""
    totp = TOTP(key)
    totp.time = step * totp.step
    return f"{totp.token():06d}"


def test_required_mfa_enrolment_then_sign_in_with_the_app(page, live_server, acme, alice):
    policy = settings_for(acme)
    policy.require_mfa = True
    policy.save()

    password_step(page, live_server)
    expect(page).to_have_url(f"{live_server.url}/account/mfa")
    expect(page.get_by_role("heading", name="Set up multi-factor authentication")).to_be_visible()
    expect(page.locator(".qr svg")).to_be_visible()
    secret = page.get_by_test_id("totp-secret").inner_text().strip()
    assert re.fullmatch(r"[A-Z2-7]+", secret)
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))

    enrolment_step = TOTP(key).t()
    page.get_by_label("Code", exact=True).fill(code_at(key, enrolment_step))
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading", name="Backup codes")).to_be_visible()
    expect(page.get_by_test_id("backup-codes").locator("li")).to_have_count(10)
    for code in page.get_by_test_id("backup-codes").locator("li").all_inner_texts():
        assert re.fullmatch(r"\d{8}", code.strip())

    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(f"{live_server.url}/login/")

    password_step(page, live_server)
    expect(page).to_have_url(f"{live_server.url}/login/mfa?next=%2F")
    expect(page.get_by_role("heading", name="Verify it's you")).to_be_visible()
    # The enrolment code's time step is used up; the app's next code (one step later) is accepted.
    page.get_by_label("Code", exact=True).fill(code_at(key, enrolment_step + 1))
    page.get_by_role("button", name="Verify").click()
    expect(page).to_have_url(f"{live_server.url}/")
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    expect(page.get_by_test_id("organization-name")).to_have_text("Acme Health")
    # The live status panel is fetched by htmx from the verified session; let it land, then leave the
    # page so that no poll reaches the server after the test database is gone.
    expect(page.locator('[data-check="database"] .status')).to_have_text("OK")
    page.goto("about:blank")
