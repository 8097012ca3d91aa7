"""The SIEM export page in Chromium: a form with every error shown at once by its field, a destination listed
with its progress and no token in the page, the change form, and no serious axe violation on either page."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from accessctl.actor import Actor
from siem.services import destination_create
from siem.validation import DestinationInput
from tests.e2e.test_console_shell import AXE, SCREENSHOTS, _axe, _no_sideways_scroll
from tests.e2e.test_login import sign_in
from tests.factories import TEST_PASSWORD
from tests.siem.collectors import HttpsCollector

pytestmark = pytest.mark.django_db(transaction=True)

TOKEN = "sk-e2e-collector-token-77"


def test_the_siem_page_shows_errors_by_field_and_never_the_token(browser, live_server, acme, alice, settings, tmp_path):
    settings.PAITIENT_EXTERNAL_ALLOW_PRIVATE_NETWORKS = True
    collector = HttpsCollector(tmp_path / "collector", token=TOKEN)
    context = browser.new_context(bypass_csp=True)  # axe is injected as a script: the console's CSP forbids that
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        sign_in(page, live_server, "alice", TEST_PASSWORD)
        page.goto(f"{live_server.url}/audit/siem/")
        expect(page.get_by_role("heading", name="SIEM export", exact=True)).to_be_visible()
        page.get_by_label("Collector URL").fill("ftp://collector.example.com")
        page.get_by_label("Events per batch").fill("0")
        page.get_by_role("button", name="Add destination").click()
        for field in ("name", "url", "batch_size"):
            expect(page.locator(f'.field-error[data-field="{field}"]')).to_be_visible()

        destination_create(actor=Actor(organization=acme, user=alice), data=DestinationInput(
            name="splunk", kind="https", url=collector.url, token=TOKEN, ca_pem=collector.ca_pem))  # fmt: skip
        page.goto(f"{live_server.url}/audit/siem/")
        row = page.get_by_test_id("siem-destinations").get_by_role("row", name="splunk")
        expect(row).to_contain_text("(token set)")
        assert TOKEN not in page.content()
        _no_sideways_scroll(page)
        if SCREENSHOTS:
            page.screenshot(path=str(Path(SCREENSHOTS) / "siem-export.png"), full_page=True)
        problems = _axe(page) if AXE.exists() else []
        row.get_by_role("link", name="Change").click()
        expect(page.get_by_label("Bearer token")).to_have_value("")
        assert TOKEN not in page.content()
        problems += _axe(page) if AXE.exists() else []
        assert not problems, problems
    finally:
        context.close()
        collector.close()
