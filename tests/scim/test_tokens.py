"""SCIM tokens: issued in the console under Access and through REST (stored hashed, shown once), revoked at
once, refused across organisations, and ended with their issuer's offboarding."""

from __future__ import annotations

import hashlib

import pytest
from rest_framework.test import APIClient

from accessctl.actor import Actor
from accessctl.offboarding import user_deactivate
from audit.models import AuditEvent
from scim.models import ScimToken
from tests.conftest import grant
from tests.factories import TEST_PASSWORD, UserFactory
from tests.scim.conftest import ScimClient, issue, new_user

pytestmark = pytest.mark.django_db


def test_console_issues_a_token_shown_once_and_stored_hashed(acme, alice, client):
    client.post("/login/", {"username": "alice", "password": TEST_PASSWORD})

    page = client.post("/access/scim", {"name": "okta-production"})

    assert page.status_code == 200
    bearer = page.context["bearer"]
    token = ScimToken.objects.get(organization=acme)
    assert bearer.startswith(f"scim_{token.prefix}_")
    assert token.secret_hash == hashlib.sha256(bearer.split("_", 2)[2].encode()).hexdigest()
    assert bearer.split("_", 2)[2] not in str(AuditEvent.objects.filter(event_type="scim_token.created").get().details)
    again = client.get("/access/scim")
    assert bearer not in again.content.decode() and "okta-production" in again.content.decode()
    assert ScimClient(bearer).get("/ServiceProviderConfig").status_code == 200


def test_console_form_errors_and_revocation(acme, alice, client):
    client.post("/login/", {"username": "alice", "password": TEST_PASSWORD})
    bearer = client.post("/access/scim", {"name": "okta"}).context["bearer"]

    blank = client.post("/access/scim", {"name": "  "})
    duplicate = client.post("/access/scim", {"name": "okta"})

    assert blank.context["form"].errors["name"] and duplicate.context["form"].errors["name"]
    token = ScimToken.objects.get(organization=acme)
    assert client.post(f"/access/scim/{token.public_id}/revoke", {"confirmed": "yes"}).status_code == 302
    assert ScimClient(bearer).get("/Users").status_code == 401
    assert AuditEvent.objects.filter(event_type="scim_token.revoked", resource_id=token.public_id).exists()


def test_members_without_user_manage_cannot_open_or_issue(acme, bob, client, api_client):
    client.post("/login/", {"username": "bob", "password": TEST_PASSWORD})
    assert client.get("/access/scim").status_code == 403
    api_client.force_authenticate(bob)
    assert api_client.post("/api/v1/scim-tokens", {"name": "x"}, format="json").status_code == 403
    assert not ScimToken.objects.exists()


def test_rest_issue_list_revoke(acme, alice):
    api = APIClient()
    api.force_authenticate(alice)

    created = api.post("/api/v1/scim-tokens", {"name": "entra"}, format="json")
    bad = api.post("/api/v1/scim-tokens", {"name": ""}, format="json")

    assert created.status_code == 201 and created.json()["token"].startswith("scim_")
    assert bad.status_code == 400 and "name" in str(bad.json())
    listed = api.get("/api/v1/scim-tokens").json()
    assert [t["name"] for t in listed["results"]] == ["entra"] and "token" not in listed["results"][0]
    assert api.delete(f"/api/v1/scim-tokens/{created.json()['id']}").status_code == 204
    assert ScimClient(created.json()["token"]).get("/Users").status_code == 401


def test_bad_and_missing_tokens_are_401_with_a_scim_error(acme, alice):
    real = issue(acme, alice)
    wrong = real[:-4] + ("aaaa" if not real.endswith("aaaa") else "bbbb")

    for client in (ScimClient(wrong), ScimClient("psk_abc_def")):
        response = client.get("/Users")
        assert response.status_code == 401
        assert response.json()["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]
        assert response["WWW-Authenticate"].startswith("Bearer")
    failed = AuditEvent.objects.filter(event_type="auth.scim_token.failed").first()
    assert failed is not None and real.split("_", 2)[2] not in str(failed.details)


def test_another_organisations_token_sees_and_changes_nothing_here(acme, alice, bob, globex, charlie):
    globex_idp = ScimClient(issue(globex, charlie))

    assert globex_idp.get(f"/Users/{bob.public_id}").status_code == 404
    assert globex_idp.get("/Users", filter='userName eq "bob"').json()["totalResults"] == 0
    patch = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
             "Operations": [{"op": "replace", "value": {"active": False}}]}  # fmt: skip
    assert globex_idp.send("patch", f"/Users/{bob.public_id}", patch).status_code == 404
    assert globex_idp.send("delete", f"/Users/{bob.public_id}").status_code == 404
    membership = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                  "Operations": [{"op": "add", "path": "members", "value": [{"value": bob.public_id}]}]}  # fmt: skip
    assert globex_idp.send("patch", "/Groups/auditor", membership).status_code == 400
    bob.refresh_from_db()
    assert bob.is_active and not bob.role_assignments.exists()
    listed = {r["userName"] for r in globex_idp.get("/Users").json()["Resources"]}
    assert listed == {"charlie"}


def test_offboarding_the_issuer_revokes_their_tokens(acme, alice, bob):
    grant(bob, acme, "org-admin")
    bearer = issue(acme, bob, name="okta")

    offboarded = user_deactivate(actor=Actor(organization=acme, user=alice), user=bob)

    assert offboarded.ended["scim_tokens_revoked"] == 1
    assert ScimClient(bearer).get("/Users").status_code == 401
    revoked = AuditEvent.objects.get(event_type="scim_token.revoked")
    assert revoked.details["reason"] == "issuer_deactivated"


def test_a_token_cannot_offboard_its_own_issuer_or_someone_above_them(acme, alice):
    sam = UserFactory.create(username="sam", organization=acme)
    grant(sam, acme, "security-admin")
    entra = ScimClient(issue(acme, sam, name="entra"))
    patch = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
             "Operations": [{"op": "replace", "path": "active", "value": False}]}  # fmt: skip

    assert entra.send("patch", f"/Users/{sam.public_id}", patch).status_code == 403
    assert entra.send("patch", f"/Users/{alice.public_id}", patch).status_code == 403
    assert entra.send("delete", f"/Users/{alice.public_id}").status_code == 403
    alice.refresh_from_db()
    assert alice.is_active
    assert entra.send("post", "/Users", new_user()).status_code == 201  # provisioning itself is allowed
