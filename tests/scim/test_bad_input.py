"""Bad input gets a SCIM error document (RFC 7644 §3.12) with the right status and scimType, naming the
attribute, in application/scim+json; never a 500."""

from __future__ import annotations

import pytest

from tests.scim.conftest import GROUP_SCHEMA, PATCH_SCHEMA, SCIM_JSON, new_user

pytestmark = pytest.mark.django_db
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"


def _error(response, status, scim_type=None):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == SCIM_JSON
    body = response.json()
    assert body["schemas"] == [ERROR] and body["status"] == str(status)
    assert body.get("scimType") == scim_type
    return body["detail"]


@pytest.mark.parametrize(
    ("body", "scim_type", "field"),
    [
        ({"userName": "x@acme.test"}, "invalidSyntax", "schemas"),
        (new_user(userName=""), "invalidValue", "userName"),
        (new_user(userName=42), "invalidValue", "userName"),
        (new_user(userName="two words"), "invalidValue", "userName"),
        (new_user(emails=[{"value": "not-an-address"}]), "invalidValue", "emails.value"),
        (new_user(emails="dana@acme.test"), "invalidValue", "emails"),
        (new_user(name="Dana"), "invalidValue", "name"),
        (new_user(active="maybe"), "invalidValue", "active"),
        (new_user(userName="dana", emails=None), "invalidValue", "emails"),
    ],
)
def test_create_refuses_bad_users_naming_the_attribute(okta, body, scim_type, field):
    assert _error(okta.send("post", "/Users", body), 400, scim_type).startswith(field)


def test_malformed_json_and_wrong_media_type(okta):
    raw = okta.client.post("/scim/v2/Users", "{not json", content_type=SCIM_JSON)
    _error(raw, 400, "invalidSyntax")
    _error(okta.client.post("/scim/v2/Users", "a=b", content_type="text/plain"), 415)
    _error(okta.client.post("/scim/v2/Users", "[1]", content_type=SCIM_JSON), 400, "invalidSyntax")


def test_duplicates_are_409_uniqueness(okta, bob):
    assert okta.send("post", "/Users", new_user()).status_code == 201
    _error(okta.send("post", "/Users", new_user(userName="DANA@acme.test")), 409, "uniqueness")
    dana_id = okta.get("/Users", filter='userName eq "dana@acme.test"').json()["Resources"][0]["id"]
    _error(okta.send("put", f"/Users/{dana_id}", new_user(userName="bob")), 409, "uniqueness")


@pytest.mark.parametrize(
    ("filter_text", "fragment"),
    [
        ("userName co", "filter"),
        ('title eq "x"', "filter"),
        ('userName eq "a" and active eq true', "filter"),
        ('active eq "yes"', "filter"),
    ],
)
def test_unsupported_filters_are_invalid_filter(okta, filter_text, fragment):
    assert fragment in _error(okta.get("/Users", filter=filter_text), 400, "invalidFilter")


def test_paging_parameters_must_be_numbers(okta):
    _error(okta.get("/Users", startIndex="first"), 400, "invalidValue")
    clamped = okta.get("/Users", startIndex=-5, count=-1).json()
    assert (clamped["startIndex"], clamped["itemsPerPage"]) == (1, 0)


def test_patch_errors(okta, bob):
    url = f"/Users/{bob.public_id}"
    _error(okta.send("patch", url, {"schemas": [PATCH_SCHEMA], "Operations": []}), 400, "invalidSyntax")
    _error(okta.send("patch", url, {"schemas": [PATCH_SCHEMA], "Operations": [{"op": "move"}]}), 400, "invalidSyntax")
    _error(okta.send("patch", url, {"schemas": [PATCH_SCHEMA], "Operations": [{"op": "remove"}]}), 400, "noTarget")
    _error(okta.send("patch", url, {"schemas": [PATCH_SCHEMA],
                                    "Operations": [{"op": "replace", "path": "title", "value": "x"}]}),
           400, "invalidPath")  # fmt: skip
    _error(
        okta.send("patch", url, {"schemas": [PATCH_SCHEMA], "Operations": [{"op": "remove", "path": "userName"}]}),
        400,
        "mutability",
    )
    _error(okta.send("patch", url, {"schemas": [PATCH_SCHEMA],
                                    "Operations": [{"op": "replace", "path": "active", "value": "perhaps"}]}),
           400, "invalidValue")  # fmt: skip
    _error(okta.send("patch", "/Groups/auditor", {"schemas": [PATCH_SCHEMA],
                                                  "Operations": [{"op": "add", "path": "members",
                                                                  "value": [{"value": "user_nobody"}]}]}),
           400, "invalidValue")  # fmt: skip
    _error(
        okta.send(
            "patch",
            "/Groups/auditor",
            {"schemas": [PATCH_SCHEMA], "Operations": [{"op": "replace", "path": "displayName", "value": "auditors"}]},
        ),
        400,
        "mutability",
    )


def test_unknown_resources_methods_and_stale_etags(okta, bob):
    _error(okta.get("/Users/user_nobody"), 404)
    _error(okta.get("/Groups/nope"), 404)
    _error(okta.get("/Bulk"), 404)
    not_allowed = okta.send("delete", "/ServiceProviderConfig")
    _error(not_allowed, 405)
    assert not_allowed["Allow"] == "GET"
    _error(okta.send("post", "/Groups", {"schemas": [GROUP_SCHEMA], "displayName": "Not A Role Name"}), 400,
           "invalidValue")  # fmt: skip
    stale = okta.send("put", f"/Users/{bob.public_id}", new_user(userName="bob"), **{"If-Match": 'W/"stale"'})
    _error(stale, 412)
    _error(
        okta.send(
            "post",
            "/.search",
            {"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"], "filter": 'title eq "x"'},
        ),
        400,
        "invalidFilter",
    )
