"""Every console page, walked in Chromium at a desktop and a small-laptop width: the page never scrolls
sideways, sign-out stays reachable, and axe-core (npm, pinned in tests/e2e/axe) finds no serious or critical
accessibility violation. With PAITIENT_SCREENSHOTS_DIR set, the walk also saves the screenshots in docs/."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from deployments.catalog import catalog_ensure
from incidents.models import Incident
from tests.deployments.test_gateway import make_deployment
from tests.e2e.test_login import sign_in
from tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)

AXE = Path(__file__).parent / "axe" / "node_modules" / "axe-core" / "axe.min.js"
WIDTHS = (1400, 1024)
SCREENSHOTS = os.environ.get("PAITIENT_SCREENSHOTS_DIR", "")
AXE_RUN = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                      targets: v.nodes.slice(0, 3).map(n => n.target.join(" "))}));
}"""


@pytest.fixture
def console_pages(acme, alice) -> list[str]:
    """Pages beyond the navigation: details and tabs a compliance officer opens."""
    catalog_ensure()  # transactional tests flush the data migration's catalog rows
    deployment = make_deployment(acme)
    incident = Incident.objects.create(
        organization=acme, title="Lost laptop", discovered_at=timezone.now(), source="manual"
    )
    return [
        f"/deployments/{deployment.public_id}/",
        "/deployments/new",
        "/compliance/?framework=soc2",
        "/compliance/items/access_controls",
        "/compliance/baas/",
        f"/incidents/{incident.public_id}/",
        "/incidents/alerts",
        "/incidents/thresholds",
        "/audit/?event_type=auth.login.succeeded",
        "/account/mfa",
        "/emergency/settings",
        "/scans/",
        "/setup/",
        "/reports/",
    ]


def _no_sideways_scroll(page) -> None:
    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{page.url} scrolls sideways by {overflow}px at {page.viewport_size['width']}px"


def _sign_out_reachable(page) -> None:
    button = page.get_by_role("button", name="Sign out")
    expect(button).to_be_visible()
    box = button.bounding_box()
    assert box is not None and box["x"] + box["width"] <= page.viewport_size["width"], f"sign-out hidden: {page.url}"


def _axe(page) -> list[dict[str, object]]:
    page.add_script_tag(path=str(AXE))
    return [v for v in page.evaluate(AXE_RUN) if v["impact"] in ("serious", "critical")]


def test_every_page_fits_keeps_sign_out_and_passes_axe(browser, live_server, alice, console_pages):
    if not AXE.exists():
        pytest.skip("axe-core is not installed (scripts/test runs npm ci in tests/e2e/axe)")
    context = browser.new_context(bypass_csp=True)  # axe is injected as a script: the console's CSP forbids that
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        sign_in(page, live_server, "alice", TEST_PASSWORD)
        expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
        nav = page.get_by_role("navigation", name="Main")
        links: list[str] = nav.locator("a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
        pages = [url for url in links if not url.startswith("/api/") and not url.startswith("/admin/")]
        assert len(pages) >= 12
        problems: list[str] = []
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            for url in [*pages, *console_pages]:
                response = page.goto(f"{live_server.url}{url}")
                assert response is not None and response.status == 200, url
                _no_sideways_scroll(page)
                _sign_out_reachable(page)
                if width == WIDTHS[0]:
                    problems += [f"{url}: {v['id']} ({v['impact']}) {v['help']} at {v['targets']}" for v in _axe(page)]
                if SCREENSHOTS and url in ("/", "/compliance/", "/compliance/?framework=soc2", "/audit/"):
                    name = url.strip("/").replace("/", "-").replace("?framework=", "-") or "dashboard"
                    page.screenshot(path=str(Path(SCREENSHOTS) / f"{name}-{width}.png"), full_page=False)
        assert not problems, "\n".join(problems)
    finally:
        context.close()


def test_the_phone_width_keeps_navigation_and_sign_out(page, live_server, alice):
    sign_in(page, live_server, "alice", TEST_PASSWORD)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/compliance/")
    _no_sideways_scroll(page)
    _sign_out_reachable(page)
    nav = page.get_by_role("navigation", name="Main")
    nav.get_by_role("link", name="Audit log").click()
    expect(page).to_have_url(f"{live_server.url}/audit/")


def test_the_account_menu_opens_by_keyboard(page, live_server, alice):
    sign_in(page, live_server, "alice", TEST_PASSWORD)
    menu = page.locator("details.menu summary")
    menu.focus()
    page.keyboard.press("Enter")
    link = page.get_by_role("link", name="Two-factor sign-in (MFA)")
    expect(link).to_be_visible()
    link.focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{live_server.url}/account/mfa")


def test_the_deployment_form_shows_only_the_chosen_providers_fields(page, live_server, alice):
    sign_in(page, live_server, "alice", TEST_PASSWORD)
    page.goto(f"{live_server.url}/deployments/new")
    expect(page.get_by_label("Subnet ids")).to_be_hidden()
    expect(page.get_by_label("Endpoint URL")).to_be_hidden()
    page.get_by_label("Provider").select_option("aws")
    expect(page.get_by_label("Subnet ids")).to_be_visible()
    expect(page.get_by_label("Endpoint URL")).to_be_hidden()
    page.get_by_label("Provider").select_option("external")
    expect(page.get_by_label("Endpoint URL")).to_be_visible()
    expect(page.get_by_label("Subnet ids")).to_be_hidden()


def _tab_to(page, name: str, limit: int = 80) -> None:
    """Press Tab until the focused element's accessible text is `name`; fail if it never is."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        text = page.evaluate(
            "() => (document.activeElement.innerText || document.activeElement.getAttribute('aria-label') || "
            "(document.activeElement.labels && document.activeElement.labels[0] && "
            "document.activeElement.labels[0].innerText) || '').trim()"
        )
        if text == name:
            outline = page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
            assert outline not in ("none", ""), f"no visible focus on {name}"
            return
    raise AssertionError(f"{name} is not reachable by Tab")


def test_sign_in_and_filter_the_audit_log_by_keyboard_alone(page, live_server, alice):
    page.goto(f"{live_server.url}/login/")
    _tab_to(page, "Username")
    page.keyboard.type("alice")
    _tab_to(page, "Password")
    page.keyboard.type(TEST_PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    _tab_to(page, "Audit log")
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{live_server.url}/audit/")
    _tab_to(page, "Event type")
    page.keyboard.type("auth.*")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"event_type=auth\.\*"))
    rows = page.locator("table.audit-events tbody tr")
    expect(rows.first).to_have_attribute("data-event-type", re.compile(r"^auth\."))
