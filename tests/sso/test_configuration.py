"""The OIDC configuration through the REST API and the console: who may change it, bad input named by field,
the client secret sealed at rest and never shown or audited."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection

from accessctl.models import Organization, User
from audit.models import AuditEvent
from sso.models import OidcConfiguration
from tests.conftest import grant
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/organization/sso"
SECRET = "client-secret-that-must-never-show"


def good_body(**extra: Any) -> dict[str, Any]:
    return {
        "enabled": True,
        "issuer": "https://idp.example.org/oauth2/default",
        "client_id": "0oa-console",
        "client_secret": SECRET,
        "allowed_domains": ["Example.org", "@clinic.example.org"],
        "role_mapping": [{"value": "clinicians", "role": "auditor"}],
        **extra,
    }


@pytest.fixture
def dana(acme: Organization) -> User:
    """Acme's security admin: holds settings:manage but not everything org-admin grants."""
    user: User = UserFactory.create(username="dana", organization=acme)
    grant(user, acme, "security-admin")
    return user


def test_an_admin_configures_sso_and_the_secret_is_sealed_and_never_shown(api_client, alice, acme):
    api_client.force_authenticate(alice)
    response = api_client.patch(URL, good_body(), format="json")
    assert response.status_code == 200, response.json()
    document = response.json()
    assert document["client_secret_set"] is True and "client_secret" not in document
    assert document["allowed_domains"] == ["clinic.example.org", "example.org"]
    assert document["issuer"] == "https://idp.example.org/oauth2/default"
    assert SECRET not in api_client.get(URL).content.decode()
    with connection.cursor() as cursor:
        cursor.execute("SELECT client_secret FROM sso_oidcconfiguration")
        [(stored,)] = cursor.fetchall()
    assert SECRET.encode() not in bytes(stored)
    assert OidcConfiguration.objects.get(organization=acme).client_secret == SECRET
    event = AuditEvent.objects.get(event_type="sso.configuration.updated")
    assert event.user_id == alice.public_id
    assert "client_secret" in event.details["changed"] and SECRET not in str(event.details)


def test_an_unchanged_patch_writes_no_event_and_keeps_the_secret(api_client, alice, acme):
    api_client.force_authenticate(alice)
    api_client.patch(URL, good_body(), format="json")
    again = api_client.patch(URL, {"client_id": "0oa-console", "client_secret": ""}, format="json")
    assert again.status_code == 400 and "client_secret" in again.json()["errors"]  # blank is not a secret
    assert api_client.patch(URL, {"client_id": "0oa-console"}, format="json").json()["client_secret_set"] is True
    assert AuditEvent.objects.filter(event_type="sso.configuration.updated").count() == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"issuer": "ftp://idp.example.org"}, "issuer"),
        ({"issuer": "http://idp.example.org"}, "issuer"),
        ({"issuer": "https://idp.example.org/?tenant=1"}, "issuer"),
        ({"enabled": True}, "issuer"),
        ({"enabled": True, "issuer": "https://idp.example.org"}, "client_id"),
        ({"enabled": True, "issuer": "https://idp.example.org", "client_id": "x"}, "client_secret"),
        ({"allowed_domains": ["not a domain"]}, "allowed_domains"),
        ({"allowed_domains": "example.org"}, "allowed_domains"),
        ({"role_claim": "groups claim"}, "role_claim"),
        ({"role_mapping": [{"value": "x", "role": "no-such-role"}]}, "role_mapping"),
        ({"role_mapping": [{"value": "x"}]}, "role_mapping"),
        ({"jit_provisioning": True}, "allowed_domains"),
        ({"require_sso": True}, "require_sso"),
        ({"jit_provisioning": "yes"}, "jit_provisioning"),
        ({"break_glass_user_id": "user_nobody"}, "break_glass_user_id"),
        ({"client_secrets": "typo"}, "client_secrets"),
    ],
)
def test_bad_input_gets_400_naming_the_field_and_changes_nothing(api_client, alice, body, field):
    api_client.force_authenticate(alice)
    response = api_client.patch(URL, body, format="json")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert any(key == field or key.startswith(f"{field}.") for key in response.json()["errors"]), response.json()
    assert not OidcConfiguration.objects.filter(enabled=True).exists()
    assert not AuditEvent.objects.filter(event_type="sso.configuration.updated").exists()


def test_require_sso_needs_an_org_admin_as_break_glass(api_client, alice, bob, acme):
    api_client.force_authenticate(alice)
    api_client.patch(URL, good_body(), format="json")
    refused = api_client.patch(URL, {"require_sso": True, "break_glass_user_id": bob.public_id}, format="json")
    assert refused.status_code == 400 and "break_glass_user_id" in refused.json()["errors"]
    body = {"require_sso": True, "break_glass_user_id": alice.public_id}
    accepted = api_client.patch(URL, body, format="json")
    assert accepted.status_code == 200
    assert accepted.json()["require_sso"] is True and accepted.json()["break_glass_user_id"] == alice.public_id


def test_a_domain_belongs_to_one_organisation(api_client, alice, charlie):
    api_client.force_authenticate(alice)
    api_client.patch(URL, good_body(), format="json")
    api_client.force_authenticate(charlie)
    response = api_client.patch(URL, good_body(), format="json")
    assert response.status_code == 400 and "allowed_domains" in response.json()["errors"]


def test_nobody_maps_a_group_to_a_role_they_could_not_grant(api_client, dana):
    api_client.force_authenticate(dana)
    response = api_client.patch(URL, {"role_mapping": [{"value": "it", "role": "org-admin"}]}, format="json")
    assert response.status_code == 403
    denied = AuditEvent.objects.get(event_type="access.denied")
    assert (denied.resource, denied.details["reason"]) == ("role/org-admin", "beyond_own_permissions")
    own = {"role_mapping": [{"value": "it", "role": "security-admin"}]}  # every permission of it is dana's own
    assert api_client.patch(URL, own, format="json").status_code == 200


def test_members_without_settings_manage_can_neither_read_nor_change_it(api_client, bob):
    api_client.force_authenticate(bob)
    assert api_client.get(URL).status_code == 403
    assert api_client.patch(URL, {"enabled": False}, format="json").status_code == 403


def test_the_console_page_saves_and_shows_errors_on_their_fields(client, alice, acme):
    client.force_login(alice)
    page = client.get("/access/sso")
    assert page.status_code == 200 and "/login/sso/callback" in page.content.decode()
    bad = client.post("/access/sso", {"role_claim": "groups", "role_mapping": "clinicians auditor", "issuer": "x"})
    assert bad.status_code == 200
    assert "Line 1: write it as" in bad.content.decode()
    form = {
        "enabled": "on",
        "issuer": "https://idp.example.org",
        "client_id": "0oa-console",
        "client_secret": SECRET,
        "allowed_domains": "example.org",
        "role_claim": "groups",
        "role_mapping": "clinicians = auditor",
    }
    assert client.post("/access/sso", form).status_code == 302
    shown = client.get("/access/sso").content.decode()
    assert SECRET not in shown and "clinicians = auditor" in shown
    assert OidcConfiguration.objects.get(organization=acme).role_mapping == [{"value": "clinicians", "role": "auditor"}]
    unknown = client.post("/access/sso", {**form, "role_mapping": "clinicians = nurse"})
    assert unknown.status_code == 200 and "No role named nurse" in unknown.content.decode()


def test_the_sign_in_page_offers_sso(client):
    page = client.get("/login/")
    assert 'href="/login/sso' in page.content.decode()
