"""SCIM Groups are the organisation's roles: membership added and removed by PATCH (Okta's and Entra ID's
forms) and PUT is audited as role assignment, and refused beyond what the token's issuer could grant."""

from __future__ import annotations

import pytest

from accessctl.models import ApiKey, Role, RoleAssignment
from audit.models import AuditEvent
from tests.conftest import grant
from tests.factories import UserFactory
from tests.scim.conftest import GROUP_SCHEMA, PATCH_SCHEMA, ScimClient, issue

pytestmark = pytest.mark.django_db


def _patch(*operations):
    return {"schemas": [PATCH_SCHEMA], "Operations": list(operations)}


def test_groups_list_the_roles_with_their_members(acme, alice, bob, okta):
    grant(bob, acme, "auditor")

    listed = okta.get("/Groups").json()
    auditor = okta.get("/Groups/auditor").json()

    assert {g["displayName"] for g in listed["Resources"]} >= {"org-admin", "security-admin", "auditor"}
    assert auditor["members"] == [{"value": bob.public_id, "type": "User",
                                   "$ref": f"http://testserver/scim/v2/Users/{bob.public_id}"}]  # fmt: skip
    assert okta.get("/Groups", filter='displayName eq "Auditor"').json()["totalResults"] == 1
    assert "members" not in okta.get("/Groups", excludedAttributes="members").json()["Resources"][0]
    assert okta.get(f"/Users/{bob.public_id}").json()["groups"][0]["value"] == "auditor"


def test_patch_add_and_remove_members_round_trip_audited_as_role_assignments(acme, alice, bob, okta):
    token_id = acme.scim_tokens.get().public_id

    added = okta.send("patch", "/Groups/auditor",
                      _patch({"op": "add", "path": "members", "value": [{"value": bob.public_id}]}))  # fmt: skip

    assert added.status_code == 200, added.content
    assert [m["value"] for m in added.json()["members"]] == [bob.public_id]
    assert RoleAssignment.objects.filter(user=bob, role__name="auditor").exists()
    assigned = AuditEvent.objects.get(event_type="role.assigned", resource="role/auditor")
    assert (assigned.actor_id, assigned.resource_id) == (token_id, bob.public_id)

    removed = okta.send("patch", "/Groups/auditor",
                        _patch({"op": "remove", "path": f'members[value eq "{bob.public_id}"]'}))  # fmt: skip

    assert removed.status_code == 200 and "members" not in removed.json()
    assert not RoleAssignment.objects.filter(user=bob, role__name="auditor").exists()
    unassigned = AuditEvent.objects.get(event_type="role.unassigned", resource="role/auditor")
    assert (unassigned.actor_id, unassigned.resource_id) == (token_id, bob.public_id)


def test_entra_remove_with_value_list_and_put_sets_exact_members(acme, alice, bob, okta):
    carol = UserFactory.create(username="carol", organization=acme)
    okta.send(
        "patch",
        "/Groups/auditor",
        _patch({"op": "add", "path": "members", "value": [{"value": bob.public_id}, {"value": carol.public_id}]}),
    )
    okta.send("patch", "/Groups/auditor", _patch({"op": "Remove", "path": "members",
                                                  "value": [{"value": carol.public_id}]}))  # fmt: skip
    assert set(
        Role.objects.get(organization=acme, name="auditor").assignments.values_list("user__username", flat=True)
    ) == {"bob"}

    put = okta.send("put", "/Groups/auditor", {"schemas": [GROUP_SCHEMA], "displayName": "auditor",
                                               "members": [{"value": carol.public_id}]})  # fmt: skip

    assert put.status_code == 200, put.content
    assert [m["value"] for m in put.json()["members"]] == [carol.public_id]


def test_token_cannot_grant_beyond_its_issuer_nor_to_its_issuer(acme, alice, bob):
    sam = UserFactory.create(username="sam", organization=acme)
    grant(sam, acme, "security-admin")
    entra = ScimClient(issue(acme, sam, name="entra"))

    beyond = entra.send("patch", "/Groups/org-admin", _patch({"op": "add", "path": "members",
                                                              "value": [{"value": bob.public_id}]}))  # fmt: skip
    to_self = entra.send("patch", "/Groups/auditor", _patch({"op": "add", "path": "members",
                                                             "value": [{"value": sam.public_id}]}))  # fmt: skip

    assert beyond.status_code == 403 and beyond.json()["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]
    assert to_self.status_code == 403
    assert not RoleAssignment.objects.filter(user=bob, role__name="org-admin").exists()
    denied = AuditEvent.objects.filter(event_type="access.denied", outcome="denied", resource="role/org-admin")
    assert any(event.details.get("via") == "scim" for event in denied)  # written again after the rollback


def test_the_last_administrator_keeps_the_role(acme, alice, okta):
    response = okta.send("patch", "/Groups/org-admin",
                         _patch({"op": "remove", "path": f'members[value eq "{alice.public_id}"]'}))  # fmt: skip

    assert response.status_code == 409, response.json()
    assert RoleAssignment.objects.filter(user=alice, role__name="org-admin").exists()


def test_group_create_is_an_empty_role_and_delete_refuses_builtins(acme, okta):
    created = okta.send("post", "/Groups", {"schemas": [GROUP_SCHEMA], "displayName": "radiology", "externalId": "g1"})

    assert created.status_code == 201, created.content
    role = Role.objects.get(organization=acme, name="radiology")
    assert role.permissions == [] and created.json()["externalId"] == "g1"
    assert AuditEvent.objects.filter(event_type="role.created", resource="role/radiology").exists()
    assert okta.send("post", "/Groups", {"schemas": [GROUP_SCHEMA], "displayName": "radiology"}).status_code == 409
    assert okta.send("delete", "/Groups/auditor").status_code == 403
    assert okta.send("delete", "/Groups/radiology").status_code == 204
    assert not Role.objects.filter(organization=acme, name="radiology").exists()
    assert AuditEvent.objects.filter(event_type="role.deleted", resource="role/radiology").exists()


def test_delete_refuses_a_role_api_keys_are_narrowed_to(acme, alice, bob, okta):
    okta.send("post", "/Groups", {"schemas": [GROUP_SCHEMA], "displayName": "readers"})
    role = Role.objects.get(organization=acme, name="readers")
    ApiKey.objects.create(organization=acme, user=bob, name="k", prefix="abc123", secret_hash="0" * 64, role=role)

    assert okta.send("delete", "/Groups/readers").status_code == 409
    assert Role.objects.filter(pk=role.pk).exists()


def test_listing_groups_takes_a_bounded_number_of_queries(acme, okta, django_assert_max_num_queries):
    okta.send("post", "/Groups", {"schemas": [GROUP_SCHEMA], "displayName": "radiology", "externalId": "g1"})
    with django_assert_max_num_queries(12):
        listed = okta.get("/Groups").json()
    assert {g["id"]: g.get("externalId") for g in listed["Resources"]}["radiology"] == "g1"
