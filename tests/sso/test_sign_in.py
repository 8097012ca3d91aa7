"""Signing in through the organisation's OpenID Provider: who gets in, which roles they hold afterwards, and
what the audit log says (with a reason code, never a token)."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from joserfc.jwk import RSAKey

from accessctl.models import Membership, RoleAssignment, User
from accessctl.security import settings_for
from audit.models import AuditEvent
from sso.models import OidcConfiguration, SsoIdentity
from tests.conftest import grant
from tests.sso.conftest import idp_url, sso_sign_in
from tests.sso.idp import CLIENT_SECRET, FakeIdp

pytestmark = pytest.mark.django_db


def bobs_claims(**extra: Any) -> dict[str, Any]:
    return {"sub": "idp-bob", "email": "bob@example.org", "email_verified": True, **extra}


def roles_of(user: User) -> list[str]:
    return sorted(RoleAssignment.objects.filter(user=user).values_list("role__name", flat=True))


def sso_events(outcome: str | None = None) -> list[AuditEvent]:
    events = AuditEvent.objects.filter(event_type="auth.sso_login").order_by("id")
    return list(events.filter(outcome=outcome) if outcome else events)


def test_a_member_signs_in_and_gets_the_roles_their_groups_map_to(client: Client, idp, acme_sso, bob):
    response = sso_sign_in(client, idp, bobs_claims(groups=["clinicians", "unmapped"]))
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/").status_code == 200  # signed in: the dashboard, not the sign-in page
    assert roles_of(bob) == ["auditor"]
    assert SsoIdentity.objects.get(user=bob).subject == "idp-bob"
    [event] = sso_events()
    assert event.outcome == "success" and event.user_id == bob.public_id
    assert event.details == {"jit_created": False, "mfa_by_idp": False, "roles_added": ["auditor"], "roles_removed": []}
    assert AuditEvent.objects.filter(event_type="role.assigned", resource="role/auditor").exists()
    assert [r["grant_type"] for r in idp.token_requests] == [["authorization_code"]]
    everything = json.dumps([e.details for e in AuditEvent.objects.all()])
    assert "at-opaque" not in everything and CLIENT_SECRET not in everything and "code-1" not in everything


def test_mapped_roles_follow_the_groups_at_each_sign_in_and_others_stay(client: Client, idp, acme_sso, bob):
    grant(bob, acme_sso.organization, "compliance-officer")  # not in the mapping: the IdP does not manage it
    sso_sign_in(client, idp, bobs_claims(groups=["clinicians", "security"]))
    assert roles_of(bob) == ["auditor", "compliance-officer", "security-admin"]
    client.post("/logout/")
    sso_sign_in(client, idp, bobs_claims(groups=["security"]))
    assert roles_of(bob) == ["compliance-officer", "security-admin"]
    assert sso_events()[-1].details["roles_removed"] == ["auditor"]
    removal = AuditEvent.objects.get(event_type="role.unassigned")
    assert removal.details == {"user_id": bob.public_id, "role": "auditor", "via": "sso"}


def test_a_deactivated_member_is_refused(client: Client, idp, acme_sso, bob):
    Membership.objects.filter(user=bob).update(is_active=False, deactivated_at="2026-01-01T00:00:00Z")
    response = sso_sign_in(client, idp, bobs_claims(groups=["clinicians"]))
    assert response.status_code == 403
    assert b"deactivated" in response.content
    assert "_auth_user_id" not in client.session
    assert roles_of(bob) == []
    [event] = sso_events()
    assert (event.outcome, event.details, event.user_id) == ("denied", {"reason": "member_deactivated"}, bob.public_id)


def test_unknown_people_are_created_only_with_jit_and_an_allowed_domain(client: Client, idp, acme_sso):
    erin = {"sub": "idp-erin", "email": "erin@example.org", "given_name": "Erin", "groups": ["clinicians"]}
    assert sso_sign_in(client, idp, erin, "erin@example.org").status_code == 403
    assert not User.objects.filter(email="erin@example.org").exists()
    OidcConfiguration.objects.filter(pk=acme_sso.pk).update(jit_provisioning=True)
    outsider = {"sub": "idp-mallory", "email": "mallory@elsewhere.test"}
    assert sso_sign_in(client, idp, outsider, "erin@example.org").status_code == 403
    assert sso_sign_in(client, idp, erin, "erin@example.org").status_code == 302
    created = User.objects.get(email="erin@example.org")
    assert (created.first_name, created.has_usable_password(), roles_of(created)) == ("Erin", False, ["auditor"])
    reasons = [e.details.get("reason") for e in sso_events()]
    assert reasons == ["unknown_user", "domain_not_allowed", None]
    assert sso_events()[-1].details["jit_created"] is True


def test_a_forged_signature_and_a_replayed_state_are_refused(client: Client, idp: FakeIdp, acme_sso, bob):
    idp.signing_key = RSAKey.generate_key(2048, parameters={"kid": "k1"})  # not the key the JWKS publishes
    assert sso_sign_in(client, idp, bobs_claims()).status_code == 403
    idp.signing_key = None
    query = parse_qs(urlsplit(idp_url(client.post("/login/sso", {"identifier": "bob@example.org"}))).query)
    code = idp.issue_code(claims=bobs_claims(), nonce=query["nonce"][0], code_challenge=query["code_challenge"][0])
    assert client.get("/login/sso/callback", {"code": code, "state": "not-the-state"}).status_code == 400
    assert client.get("/login/sso/callback", {"code": code, "state": query["state"][0]}).status_code == 400
    assert "_auth_user_id" not in client.session
    assert [e.details["reason"] for e in sso_events()] == ["token_invalid", "state_mismatch", "state_mismatch"]


def test_a_token_for_another_client_or_sign_in_is_refused(client: Client, idp, acme_sso, bob):
    assert sso_sign_in(client, idp, bobs_claims(aud="someone-else")).status_code == 403
    assert sso_sign_in(client, idp, bobs_claims(nonce="another-sign-in")).status_code == 403
    assert [e.details["reason"] for e in sso_events()] == ["token_invalid", "nonce_mismatch"]


def test_the_idps_mfa_satisfies_the_organisations_requirement_only_when_amr_says_so(client: Client, idp, acme_sso, bob):
    policy = settings_for(acme_sso.organization)
    policy.require_mfa = True
    policy.save()
    sso_sign_in(client, idp, bobs_claims(amr=["pwd", "otp"]))
    assert client.get("/").status_code == 200
    client.post("/logout/")
    sso_sign_in(client, idp, bobs_claims(amr=["pwd"]))
    second_step = client.get("/")
    assert second_step.status_code == 302 and second_step["Location"].startswith("/login/mfa")
    assert [e.details["mfa_by_idp"] for e in sso_events()] == [True, False]


def test_the_organisations_allowed_networks_still_apply(client: Client, idp, acme_sso, bob):
    policy = settings_for(acme_sso.organization)
    policy.ip_restrictions = ["10.9.0.0/16"]
    policy.save()
    assert sso_sign_in(client, idp, bobs_claims()).status_code == 403
    assert sso_events()[0].details == {"reason": "ip_restriction"}


def test_require_sso_refuses_passwords_except_the_break_glass_admin(client: Client, acme_sso, alice, bob):
    OidcConfiguration.objects.filter(pk=acme_sso.pk).update(require_sso=True, break_glass_user=alice)
    refused = client.post("/login/", {"username": "bob", "password": "correct horse battery staple"})
    assert refused.status_code == 200 and "single sign-on" in refused.content.decode()
    assert "_auth_user_id" not in client.session
    event = AuditEvent.objects.filter(event_type="auth.login.failed").latest("id")
    assert event.details == {"reason": "sso_required"} and event.user_id == bob.public_id
    signed_in = client.post("/login/", {"username": "alice", "password": "correct horse battery staple"})
    assert signed_in.status_code == 302


def test_starting_needs_a_configured_domain_or_organisation(client: Client, acme_sso):
    response = client.post("/login/sso", {"identifier": "someone@unknown.test"})
    assert response.status_code == 200
    assert "not set up for that e-mail domain" in response.content.decode()
    assert client.post("/login/sso", {"identifier": ""}).status_code == 200
    by_slug = client.post("/login/sso", {"identifier": acme_sso.organization.slug})
    url = idp_url(by_slug)
    assert url.startswith(f"{acme_sso.issuer}/auth?")
    query = parse_qs(urlsplit(url).query)
    assert query["scope"] == ["openid email profile groups"] and "login_hint" not in query
    assert query["redirect_uri"] == ["http://testserver/login/sso/callback"]


def test_an_idp_error_or_an_unreachable_idp_is_refused_and_audited(client: Client, idp, acme_sso, bob):
    query = parse_qs(urlsplit(idp_url(client.post("/login/sso", {"identifier": "bob@example.org"}))).query)
    denied = client.get("/login/sso/callback", {"error": "access_denied", "state": query["state"][0]})
    assert denied.status_code == 403 and "_auth_user_id" not in client.session
    OidcConfiguration.objects.filter(pk=acme_sso.pk).update(issuer="http://127.0.0.1:9")  # nothing listens there
    unreachable = client.post("/login/sso", {"identifier": "bob@example.org"})
    assert unreachable.status_code == 200 and "could not be reached" in unreachable.content.decode()
    assert [e.details["reason"] for e in sso_events()] == ["idp_error", "discovery_failed"]
