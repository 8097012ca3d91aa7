"""In Chromium with virtual authenticators (DevTools protocol `WebAuthn` domain): an organisation requires MFA;
alice enrols a passkey instead of an app, adds a second one and removes the first; she signs in again with
password + passkey, and an assertion from the removed passkey is refused. The audit trail holds every step and
no credential material."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from django_otp_webauthn.models import WebAuthnCredential
from playwright.sync_api import expect

from accessctl.security import settings_for
from audit.models import AuditEvent
from tests.e2e.test_console_shell import AXE, AXE_RUN
from tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)

# What a site's own script could do with a passkey it still holds: run the ceremony by hand, offering only the
# given credential, and return the server's answer.
ASSERT_WITH = """async (credentialId) => {
  const toBuf = (s) => Uint8Array.from(atob(s.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0));
  const toB64 = (b) => btoa(String.fromCharCode(...new Uint8Array(b))).replace(/\\+/g, "-").replace(/\\//g, "_")
    .replace(/=+$/, "");
  const form = document.querySelector("form[data-passkey-verify]");
  const headers = {"Content-Type": "application/json",
                   "X-CSRFToken": form.querySelector("input[name=csrfmiddlewaretoken]").value};
  const options = await (await fetch(form.dataset.beginUrl, {method: "POST", headers, body: "{}"})).json();
  const credential = await navigator.credentials.get({publicKey: {
    challenge: toBuf(options.challenge), rpId: options.rpId, userVerification: "discouraged",
    allowCredentials: [{type: "public-key", id: toBuf(credentialId)}]}});
  const body = JSON.stringify({credential: {id: credential.id, rawId: toB64(credential.rawId), type: credential.type,
    clientExtensionResults: {}, response: {clientDataJSON: toB64(credential.response.clientDataJSON),
    authenticatorData: toB64(credential.response.authenticatorData),
    signature: toB64(credential.response.signature), userHandle: null}}});
  const answer = await fetch(form.dataset.completeUrl, {method: "POST", headers, body});
  return {status: answer.status, problem: await answer.json()};
}"""


def add_authenticator(cdp, transport: str) -> str:
    options = {
        "protocol": "ctap2",
        "transport": transport,
        "hasResidentKey": True,
        "hasUserVerification": True,
        "isUserVerified": True,
        "automaticPresenceSimulation": True,
    }
    return str(cdp.send("WebAuthn.addVirtualAuthenticator", {"options": options})["authenticatorId"])


def credentials_on(cdp, authenticator: str) -> list[dict[str, Any]]:
    return list(cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})["credentials"])


Credential = dict[str, Any]


def swap_authenticator(cdp, current: str, transport: str, load: list[Credential]) -> tuple[str, list[Credential]]:
    """Detach `current` (returning the credentials it held) and attach a new authenticator holding `load`:
    a device taken out of the drawer."""
    held = credentials_on(cdp, current)
    cdp.send("WebAuthn.removeVirtualAuthenticator", {"authenticatorId": current})
    replacement = add_authenticator(cdp, transport)
    for credential in load:
        cdp.send("WebAuthn.addCredential", {"authenticatorId": replacement, "credential": credential})
    return replacement, held


def b64url(standard: str) -> str:
    return standard.replace("+", "-").replace("/", "_").rstrip("=")


def password_step(page, live_server) -> None:
    page.goto(f"{live_server.url}/")
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_passkey_enrolment_sign_in_and_a_removed_passkey_refused(page, live_server, acme, alice):
    assert live_server.url.startswith("http://localhost:"), "WebAuthn needs a host name (localhost), not an IP"
    policy = settings_for(acme)
    policy.require_mfa = True
    policy.save()
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    laptop = add_authenticator(cdp, "internal")

    # Required MFA sends her to set-up, where a passkey replaces the app.
    password_step(page, live_server)
    expect(page).to_have_url(f"{live_server.url}/account/mfa")
    expect(page.get_by_role("heading", name="Or use a passkey")).to_be_visible()
    page.get_by_label("Passkey name").fill("Work laptop")
    page.get_by_role("button", name="Add a passkey").click()
    expect(page.get_by_role("heading", name="Passkey added: your backup codes")).to_be_visible()
    expect(page.get_by_test_id("backup-codes").locator("li")).to_have_count(10)
    [laptop_credential] = credentials_on(cdp, laptop)
    assert laptop_credential["rpId"] == "localhost"
    assert WebAuthnCredential.objects.get(user=alice).sign_count == laptop_credential["signCount"]
    page.get_by_role("link", name="Continue").click()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()

    # A second passkey on a security key, named; a blank name is refused on the field first.
    cdp.send("WebAuthn.removeVirtualAuthenticator", {"authenticatorId": laptop})
    security_key = add_authenticator(cdp, "usb")
    page.goto(f"{live_server.url}/account/")
    expect(page.get_by_test_id("passkey")).to_have_count(1)
    page.get_by_role("button", name="Add a passkey").click()
    expect(page.locator("#passkey-name-error")).to_have_text("Name the passkey, for example after its device.")
    page.get_by_label("Passkey name").fill("Security key")
    page.get_by_role("button", name="Add a passkey").click()
    expect(page.get_by_text("Passkey “Security key” added: use it at your next sign-in.")).to_be_visible()
    expect(page.get_by_test_id("passkey")).to_have_count(2)
    [key_credential] = credentials_on(cdp, security_key)

    # Remove the laptop's passkey (current password needed).
    laptop_item = page.get_by_test_id("passkey").filter(has_text="Work laptop")
    laptop_item.get_by_text("Remove…").click()
    laptop_item.get_by_label("Current password").fill(TEST_PASSWORD)
    laptop_item.get_by_role("button", name="Remove Work laptop").click()
    expect(page.get_by_text("Passkey removed. It can no longer sign you in.")).to_be_visible()
    # She had verified this session with that passkey, so the session asks for a remaining factor.
    expect(page).to_have_url(f"{live_server.url}/login/mfa?next=%2Faccount%2F")
    expect(page.get_by_text("verify once more with another second factor")).to_be_visible()
    page.get_by_role("button", name="Use a passkey").click()
    expect(page).to_have_url(f"{live_server.url}/account/")
    expect(page.get_by_test_id("passkey")).to_have_count(1)
    expect(page.get_by_test_id("passkey")).to_contain_text("Security key")

    page.get_by_role("button", name="Sign out").click()
    password_step(page, live_server)
    expect(page).to_have_url(f"{live_server.url}/login/mfa?next=%2F")
    expect(page.get_by_role("heading", name="Verify it's you")).to_be_visible()

    # Whoever still holds the removed laptop passkey gets a signature from it, and the server refuses it.
    # (One authenticator at a time: Chromium gives up on a request that an attached one cannot answer.)
    security_key, held = swap_authenticator(cdp, security_key, "internal", [laptop_credential])
    answer = page.evaluate(ASSERT_WITH, b64url(laptop_credential["credentialId"]))
    assert answer["status"] == 404 and answer["problem"]["type"].endswith("/credential_not_found")
    security_key, _ = swap_authenticator(cdp, security_key, "usb", held)
    page.goto(f"{live_server.url}/")
    expect(page).to_have_url(f"{live_server.url}/login/mfa?next=%2F")

    # The passkey she kept signs her in.
    page.get_by_role("button", name="Use a passkey").click()
    expect(page).to_have_url(f"{live_server.url}/")
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    expect(page.locator('[data-check="database"] .status')).to_have_text("OK")
    page.goto("about:blank")  # no dashboard poll after the test database is gone

    counters = {c["credentialId"]: c["signCount"] for c in credentials_on(cdp, security_key)}
    kept = WebAuthnCredential.objects.get(user=alice)
    assert counters[key_credential["credentialId"]] == kept.sign_count == key_credential["signCount"] + 2
    assert kept.name == "Security key" and kept.last_used_at is not None
    trail = list(AuditEvent.objects.filter(user_id=alice.public_id, event_type__startswith="auth.mfa."))
    assert [(e.event_type, e.details.get("reason")) for e in trail if e.details.get("device") == "passkey"] == [
        ("auth.mfa.enrolled", None),
        ("auth.mfa.enrolled", None),
        ("auth.mfa.device_removed", None),
        ("auth.mfa.succeeded", None),
        ("auth.mfa.failed", "credential_not_found"),
        ("auth.mfa.succeeded", None),
    ]
    text = json.dumps([{f.name: str(getattr(e, f.name)) for f in e._meta.fields} for e in trail])
    for credential in (laptop_credential, key_credential):
        for secret in (credential["credentialId"], b64url(credential["credentialId"]), credential["privateKey"]):
            assert secret not in text
        assert base64.b64decode(credential["credentialId"]).hex() not in text


def serious_axe_violations(page) -> list[str]:
    page.add_script_tag(path=str(AXE))
    found = page.evaluate(AXE_RUN)
    serious = [v for v in found if v["impact"] in ("serious", "critical")]
    return [f"{page.url}: {v['id']} {v['help']} at {v['targets']}" for v in serious]


def test_the_passkey_pages_pass_axe(browser, live_server, alice):
    if not AXE.exists():
        pytest.skip("axe-core is not installed (scripts/test runs npm ci in tests/e2e/axe)")
    context = browser.new_context(bypass_csp=True)  # axe is injected as a script: the console's CSP forbids that
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        cdp = page.context.new_cdp_session(page)
        cdp.send("WebAuthn.enable")
        add_authenticator(cdp, "internal")
        password_step(page, live_server)
        expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
        page.goto(f"{live_server.url}/account/")
        problems = serious_axe_violations(page)
        page.get_by_role("button", name="Add a passkey").click()  # no name: the field's error shows
        expect(page.locator("#passkey-name-error")).to_be_visible()
        problems += serious_axe_violations(page)
        page.get_by_label("Passkey name").fill("Work laptop")
        page.get_by_role("button", name="Add a passkey").click()
        expect(page.get_by_role("heading", name="Passkey added: your backup codes")).to_be_visible()
        problems += serious_axe_violations(page)
        passkey = WebAuthnCredential.objects.get(user=alice)
        page.goto(f"{live_server.url}/account/passkeys/{passkey.pk}/rename")
        page.get_by_label("Passkey name").fill("")
        page.get_by_role("button", name="Save").click()
        expect(page.get_by_text("This field is required.")).to_be_visible()
        problems += serious_axe_violations(page)
        page.get_by_role("button", name="Sign out").click()
        password_step(page, live_server)
        expect(page.get_by_role("button", name="Use a passkey")).to_be_visible()
        problems += serious_axe_violations(page)
        assert not problems, "\n".join(problems)
    finally:
        context.close()
