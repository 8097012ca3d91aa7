"""Through Chromium, against a certified OpenID Provider (panva's `oidc-provider`, tests/e2e/oidc) on loopback:
bob signs in with SSO, holds the role his IdP group maps to and signs out; when the IdP drops the group he
loses the role at his next sign-in; once deactivated here he is refused; and the audit log says so each time."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from accessctl.actor import Actor
from accessctl.models import Organization, RoleAssignment, User
from accessctl.offboarding import user_deactivate
from audit.models import AuditEvent
from sso.models import OidcConfiguration

pytestmark = pytest.mark.django_db(transaction=True)
OIDC_DIR = Path(__file__).parent / "oidc"
CLIENT_ID = "paitient-e2e"
CLIENT_SECRET = "e2e-client-secret-0123456789"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class OpenIdProvider:
    def __init__(self, accounts_file: Path, issuer: str) -> None:
        self.accounts_file = accounts_file
        self.issuer = issuer

    def set_accounts(self, accounts: dict[str, dict[str, object]]) -> None:
        self.accounts_file.write_text(json.dumps(accounts))


@pytest.fixture
def openid_provider(tmp_path: Path, live_server) -> Iterator[OpenIdProvider]:
    node = shutil.which("node")
    if node is None or not (OIDC_DIR / "node_modules" / "oidc-provider").is_dir():
        pytest.skip("needs Node.js and `npm ci --prefix tests/e2e/oidc` (scripts/test runs it)")
    port = _free_port()
    provider = OpenIdProvider(tmp_path / "accounts.json", f"http://127.0.0.1:{port}")
    provider.set_accounts({})
    redirect_uri = f"{live_server.url}/login/sso/callback"
    process = subprocess.Popen(  # noqa: S603 - fixed arguments
        [
            node,
            str(OIDC_DIR / "provider.mjs"),
            str(port),
            str(provider.accounts_file),
            CLIENT_ID,
            CLIENT_SECRET,
            redirect_uri,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert process.stdout is not None
        assert process.stdout.readline().decode().startswith("ready"), "the OpenID Provider did not start"
        yield provider
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def acme_sso(acme: Organization, openid_provider: OpenIdProvider) -> OidcConfiguration:
    config = OidcConfiguration(
        organization=acme,
        enabled=True,
        issuer=openid_provider.issuer,
        client_id=CLIENT_ID,
        allowed_domains=["example.org"],
        role_mapping=[{"value": "clinicians", "role": "auditor"}],
    )
    config.client_secret = CLIENT_SECRET
    config.save()
    return config


def loopback_only(context) -> None:
    """The provider's development pages link a web font: nothing may leave this machine."""

    def route(r) -> None:
        host = urlsplit(r.request.url).hostname
        if host in ("127.0.0.1", "localhost"):
            r.continue_()
        else:
            r.abort()

    context.route("**/*", route)


def sign_in_with_sso(browser, live_server, login: str, email: str):
    """A fresh browser (no IdP session): our sign-in page → SSO → the IdP's sign-in and consent → back."""
    context = browser.new_context()
    loopback_only(context)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{live_server.url}/")
    page.get_by_role("link", name="Sign in with SSO").click()
    page.get_by_label("Work e-mail or organisation").fill(email)
    page.get_by_role("button", name="Continue to your identity provider").click()
    page.locator('input[name="login"]').fill(login)
    page.locator('input[name="password"]').fill("any password: the test IdP's own form")
    page.get_by_role("button", name="Sign-in").click()
    page.get_by_role("button", name="Continue").click()  # the IdP's consent
    return context, page


def roles_of(user: User) -> list[str]:
    return sorted(RoleAssignment.objects.filter(user=user).values_list("role__name", flat=True))


def test_sso_sign_in_maps_groups_to_roles_and_refuses_a_deactivated_member(
    browser, live_server, openid_provider, acme_sso, acme, alice, bob
):
    openid_provider.set_accounts({"bob-idp": {"email": "bob@example.org", "email_verified": True,
                                              "groups": ["clinicians"]}})  # fmt: skip
    context, page = sign_in_with_sso(browser, live_server, "bob-idp", "bob@example.org")
    expect(page).to_have_url(f"{live_server.url}/")
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    # The auditor role (user:read, audit:read) shows in the navigation at once.
    navigation = page.get_by_role("navigation", name="Main")
    expect(navigation.get_by_role("link", name="Audit log")).to_be_visible()
    assert roles_of(bob) == ["auditor"]
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.goto(f"{live_server.url}/audit/")  # signed out here, whatever the IdP's own session
    expect(page).to_have_url(f"{live_server.url}/login/?next=/audit/")
    context.close()

    openid_provider.set_accounts({"bob-idp": {"email": "bob@example.org", "email_verified": True, "groups": []}})
    context, page = sign_in_with_sso(browser, live_server, "bob-idp", "bob@example.org")
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Audit log")).to_have_count(0)
    assert roles_of(bob) == []
    page.goto("about:blank")
    context.close()

    user_deactivate(actor=Actor(organization=acme, user=alice), user=bob)
    context, page = sign_in_with_sso(browser, live_server, "bob-idp", "bob@example.org")
    expect(page.get_by_role("heading", name="Single sign-on refused")).to_be_visible()
    expect(page.locator("#sso-error")).to_contain_text("deactivated")
    page.goto(f"{live_server.url}/")
    expect(page).to_have_url(f"{live_server.url}/login/?next=/")
    context.close()

    events = list(AuditEvent.objects.filter(event_type="auth.sso_login").order_by("id"))
    assert [(e.outcome, e.user_id) for e in events] == [("success", bob.public_id)] * 2 + [("denied", bob.public_id)]
    assert events[0].details["roles_added"] == ["auditor"]
    assert events[1].details["roles_removed"] == ["auditor"]
    assert events[2].details == {"reason": "member_deactivated"}
    assert CLIENT_SECRET not in json.dumps([e.details for e in AuditEvent.objects.all()])
