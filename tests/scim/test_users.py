"""SCIM Users round trips as Okta and Entra ID make them: create (an invitation), read, filter, page, replace,
patch to inactive (the console's offboarding), delete (deactivated and hidden, never erased)."""

from __future__ import annotations

import pytest
from django.core import mail

from accessctl.api_keys import api_key_for_token, api_key_issue
from accessctl.models import ApiKey, Membership, MemberStatus, SecuritySettings, User
from audit.models import AuditEvent
from tests.factories import TEST_PASSWORD
from tests.scim.conftest import PATCH_SCHEMA, SCIM_JSON, new_user

pytestmark = pytest.mark.django_db


def test_create_invites_the_member_and_answers_the_resource(acme, alice, okta, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = okta.send("post", "/Users", new_user())

    assert response.status_code == 201, response.content
    assert response["Content-Type"] == SCIM_JSON
    body = response.json()
    dana = User.objects.get(username="dana@acme.test")
    assert body["id"] == dana.public_id
    assert body["userName"] == "dana@acme.test"
    assert body["externalId"] == "00u-dana"
    assert body["name"]["givenName"] == "Dana" and body["active"] is True
    assert response["Location"] == f"http://testserver/scim/v2/Users/{dana.public_id}"
    assert response["ETag"] == body["meta"]["version"]
    assert Membership.objects.get(organization=acme, user=dana).status == MemberStatus.INVITED
    assert mail.outbox and mail.outbox[-1].to == ["dana@acme.test"]
    event = AuditEvent.objects.get(event_type="user.provisioned", resource_id=dana.public_id)
    token = acme.scim_tokens.get()
    assert (event.actor_type, event.actor_id, event.user_id) == ("api_key", token.public_id, alice.public_id)
    assert AuditEvent.objects.filter(event_type="user.invited", actor_id=token.public_id).exists()


def test_get_filter_and_paging(acme, alice, bob, okta):
    okta.send("post", "/Users", new_user())

    found = okta.get("/Users", filter='userName eq "DANA@acme.test"').json()
    assert found["totalResults"] == 1 and found["Resources"][0]["userName"] == "dana@acme.test"
    by_external = okta.get("/Users", filter='externalId eq "00u-dana"').json()
    assert by_external["totalResults"] == 1
    assert okta.get("/Users", filter='externalId eq "00U-DANA"').json()["totalResults"] == 0  # caseExact
    page = okta.get("/Users", startIndex=2, count=1).json()
    assert (page["totalResults"], page["startIndex"], page["itemsPerPage"]) == (3, 2, 1)
    assert page["Resources"][0]["userName"] == "bob"
    one = okta.get(f"/Users/{bob.public_id}")
    assert one.status_code == 200 and one.json()["userName"] == "bob"
    assert okta.client.get(f"/scim/v2/Users/{bob.public_id}", HTTP_IF_NONE_MATCH=one["ETag"]).status_code == 304


def test_replace_updates_the_profile_and_audits_attribute_names_only(acme, okta):
    dana_id = okta.send("post", "/Users", new_user()).json()["id"]
    changed = new_user(name={"givenName": "Dana", "familyName": "Mulder"}, externalId="00u-dana-2")

    response = okta.send("put", f"/Users/{dana_id}", changed)

    assert response.status_code == 200, response.content
    assert response.json()["name"]["familyName"] == "Mulder"
    assert User.objects.get(public_id=dana_id).last_name == "Mulder"
    event = AuditEvent.objects.get(event_type="user.updated", resource_id=dana_id)
    assert event.details == {"via": "scim", "attributes": ["name.familyName", "externalId"]}
    assert "Mulder" not in str(event.details)


def test_patch_inactive_is_the_consoles_offboarding(acme, alice, bob, okta, client):
    client.post("/login/", {"username": "bob", "password": TEST_PASSWORD})
    assert client.get("/").status_code == 200
    _, key = api_key_issue(actor=None, organization=acme, user=bob, name="laptop")
    patch = {"schemas": [PATCH_SCHEMA], "Operations": [{"op": "replace", "value": {"active": False}}]}

    response = okta.send("patch", f"/Users/{bob.public_id}", patch)

    assert response.status_code == 200, response.content
    assert response.json()["active"] is False
    assert Membership.objects.get(organization=acme, user=bob).status == MemberStatus.DEACTIVATED
    assert api_key_for_token(key) is None
    assert ApiKey.objects.get(user=bob).revoked_at is not None
    assert client.get("/").status_code == 302  # the console session is gone
    event = AuditEvent.objects.get(event_type="user.deactivated", resource_id=bob.public_id)
    assert event.details["sessions_ended"] == 1 and event.details["api_keys_revoked"] == 1
    assert event.actor_id == acme.scim_tokens.get().public_id


def test_entra_style_patch_with_string_boolean_and_reactivation(acme, bob, okta):
    deactivate = {"schemas": [PATCH_SCHEMA], "Operations": [{"op": "Replace", "path": "active", "value": "False"}]}
    assert okta.send("patch", f"/Users/{bob.public_id}", deactivate).json()["active"] is False

    reactivate = {"schemas": [PATCH_SCHEMA], "Operations": [{"op": "Replace", "path": "active", "value": "True"}]}
    response = okta.send("patch", f"/Users/{bob.public_id}", reactivate)

    assert response.json()["active"] is True
    assert Membership.objects.get(organization=acme, user=bob).status == MemberStatus.ACTIVE
    assert AuditEvent.objects.filter(event_type="user.reactivated", resource_id=bob.public_id).exists()


def test_delete_deactivates_and_hides_but_never_erases(acme, bob, okta):
    events_before = AuditEvent.objects.filter(user_id=bob.public_id).count()

    response = okta.send("delete", f"/Users/{bob.public_id}")

    assert response.status_code == 204 and "Content-Type" not in response
    assert okta.get(f"/Users/{bob.public_id}").status_code == 404
    assert okta.get("/Users", filter='userName eq "bob"').json()["totalResults"] == 0
    bob.refresh_from_db()  # the row, the membership and bob's audit history stay
    assert Membership.objects.get(organization=acme, user=bob).status == MemberStatus.DEACTIVATED
    assert AuditEvent.objects.filter(user_id=bob.public_id).count() >= events_before
    assert AuditEvent.objects.filter(event_type="user.deprovisioned", resource_id=bob.public_id).exists()
    assert okta.send("delete", f"/Users/{bob.public_id}").status_code == 404


def test_deleting_an_invited_member_revokes_the_invitation(acme, okta):
    dana_id = okta.send("post", "/Users", new_user()).json()["id"]

    assert okta.send("delete", f"/Users/{dana_id}").status_code == 204

    dana = User.objects.get(public_id=dana_id)
    assert dana.invitations.get().status == "revoked"
    assert Membership.objects.get(organization=acme, user=dana).status == MemberStatus.DEACTIVATED


def test_search_by_post_with_attribute_selection(okta, bob):
    body = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"], "filter": 'userName sw "bo"',
            "attributes": ["userName"], "count": 5}  # fmt: skip

    found = okta.send("post", "/Users/.search", body).json()

    assert found["totalResults"] == 1
    assert found["Resources"] == [{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "id": bob.public_id,
                                   "userName": "bob"}]  # fmt: skip


def test_the_organisations_allowed_networks_apply_to_scim(acme, okta):
    SecuritySettings.objects.update_or_create(organization=acme, defaults={"ip_restrictions": ["10.9.0.0/16"]})

    response = okta.get("/Users")

    assert response.status_code == 403
    denied = AuditEvent.objects.filter(event_type="access.denied")
    assert [e.details.get("reason") for e in denied] == ["ip_restriction"]


def test_a_put_without_active_does_not_reactivate(acme, bob, okta):
    okta.send("delete", f"/Users/{bob.public_id}")
    okta.send("post", "/Users", new_user(userName="bob", emails=[{"value": "bob@acme.test"}], active=False))
    assert okta.get(f"/Users/{bob.public_id}").json()["active"] is False

    body = {k: v for k, v in new_user(userName="bob").items() if k != "active"}
    response = okta.send("put", f"/Users/{bob.public_id}", body)

    assert response.json()["active"] is False
    assert Membership.objects.get(organization=acme, user=bob).status == MemberStatus.DEACTIVATED


def test_creating_a_deleted_member_again_restores_the_same_identity(acme, bob, okta):
    okta.send("delete", f"/Users/{bob.public_id}")

    response = okta.send("post", "/Users", new_user(userName="BOB", emails=[{"value": "bob@acme.test"}]))

    assert response.status_code == 201, response.content
    assert response.json()["id"] == bob.public_id and response.json()["active"] is True
    assert Membership.objects.get(organization=acme, user=bob).status == MemberStatus.ACTIVE
    restored = AuditEvent.objects.get(event_type="user.provisioned", resource_id=bob.public_id)
    assert restored.details == {"via": "scim", "restored": True}


def test_root_search_pages_users_then_groups(acme, alice, bob, okta):
    search = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"], "startIndex": 2, "count": 2,
              "attributes": ["id"]}  # fmt: skip

    found = okta.send("post", "/.search", search).json()

    roles = acme.roles.count()
    assert found["totalResults"] == 2 + roles
    assert [r["id"] for r in found["Resources"]] == [bob.public_id, "auditor"]  # alice, bob, then roles by name
    only_groups = dict(search, filter='displayName eq "auditor"', startIndex=1)
    assert [r["id"] for r in okta.send("post", "/.search", only_groups).json()["Resources"]] == ["auditor"]
