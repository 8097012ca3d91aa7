"""A person signs in through Chromium and sees the dashboard; a wrong password shows a form error."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)


def sign_in(page, live_server, username: str, password: str) -> None:
    page.goto(f"{live_server.url}/")
    expect(page).to_have_url(f"{live_server.url}/login/?next=/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_sign_in_shows_the_dashboard(page, live_server, alice, bob):
    sign_in(page, live_server, "alice", TEST_PASSWORD)
    expect(page).to_have_url(f"{live_server.url}/")
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    expect(page.get_by_test_id("organization-name")).to_have_text("Acme Health")
    expect(page.get_by_test_id("member-count")).to_have_text("2")
    # htmx loads the live status panel from the server (no inline script needed under our CSP).
    expect(page.locator('[data-check="database"] .status')).to_have_text("OK")
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link")).to_have_text(
        [
            "Dashboard",
            "Deployments",
            "Playground",
            "PHI scans",
            "Compliance",
            "Reports",
            "Disclosures",
            "Incidents",
            "Users",
            "Roles",
            "Access reviews",
            "Security",
            "Keys",
            "Single sign-on",
            "SCIM provisioning",
            "Emergency access",
            "API keys",
            "Audit log",
            "SIEM export",
            "API docs",
        ]
    )

    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(f"{live_server.url}/login/")


def test_wrong_password_shows_a_form_error(page, live_server, alice):
    sign_in(page, live_server, "alice", "not the password")
    expect(page.get_by_role("alert")).to_contain_text("Wrong username or password.")
    expect(page).to_have_url(f"{live_server.url}/login/?next=/")
