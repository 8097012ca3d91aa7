"""Destructive console actions ask first: a POST without `confirmed=yes` shows a page naming the object and what
the action does, changes nothing, and posts the same fields again when confirmed. Refusals stay refusals."""

from __future__ import annotations

import pytest

from accessctl.models import ApiKey, RoleAssignment
from encryption.models import KeyStatus, OrganizationKey
from tests.conftest import grant
from tests.deployments.test_gateway import make_deployment
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def asks(response, *names: str) -> str:
    assert response.status_code == 200
    html: str = response.content.decode()
    assert 'name="confirmed" value="yes"' in html and "Cancel" in html
    for name in names:
        assert name in html, name
    return html


def test_revoking_an_api_key_asks_then_revokes(client, api_client, alice):
    api_client.force_authenticate(alice)
    api_client.post("/api/v1/api-keys", {"name": "ci-bot"}, format="json")
    key = ApiKey.objects.get(user=alice, name="ci-bot")
    client.force_login(alice)
    asks(client.post(f"/account/api-keys/{key.public_id}/revoke"), "Revoke an API key", "ci-bot", "cannot be undone")
    key.refresh_from_db()
    assert key.revoked_at is None
    assert client.post(f"/account/api-keys/{key.public_id}/revoke", {"confirmed": "yes"}).status_code == 302
    key.refresh_from_db()
    assert key.revoked_at is not None


def test_removing_a_role_asks_naming_role_and_member(client, acme, alice):
    nurse = UserFactory.create(username="nina", organization=acme)
    grant(nurse, acme, "auditor")
    client.force_login(alice)
    url = f"/access/roles/auditor/users/{nurse.public_id}/remove"
    asks(client.post(url), "auditor from nina", "Remove auditor from nina")
    assert RoleAssignment.objects.filter(user=nurse, role__name="auditor").exists()
    client.post(url, {"confirmed": "yes"})
    assert not RoleAssignment.objects.filter(user=nurse, role__name="auditor").exists()


def test_rotating_keys_asks_first(client, acme, alice):
    client.force_login(alice)
    before = OrganizationKey.objects.filter(organization=acme, status=KeyStatus.ACTIVE).count()
    asks(client.post("/settings/keys/rotate"), "Rotate encryption keys", "Acme Health", "cannot be undone")
    assert OrganizationKey.objects.filter(organization=acme).count() == before or before == 0


def test_stopping_a_deployment_asks_unless_the_disclosure_confirmed(client, acme, alice):
    deployment = make_deployment(acme, name="triage-bot")
    client.force_login(alice)
    html = asks(client.post(f"/deployments/{deployment.public_id}/stop"), "Stop a deployment", "triage-bot")
    assert f'action="/deployments/{deployment.public_id}/stop"' in html
    deployment.refresh_from_db()
    assert deployment.state == "ready"
    detail = client.get(f"/deployments/{deployment.public_id}/").content.decode()
    assert "Stop this deployment…" in detail and 'name="confirmed" value="yes"' in detail


def test_a_refusal_comes_before_the_question(client, acme, globex, alice, charlie):
    theirs = make_deployment(globex, name="other-org")
    client.force_login(alice)
    assert client.post(f"/deployments/{theirs.public_id}/stop").status_code == 404
    reader = UserFactory.create(username="erin", organization=acme)
    grant(reader, acme, "auditor")
    client.force_login(reader)
    assert client.post("/settings/keys/rotate").status_code == 403


def test_the_question_repeats_the_posted_fields_but_not_the_token(client, acme, alice):
    deployment = make_deployment(acme, name="triage-bot")
    client.force_login(alice)
    html = asks(client.post(f"/deployments/{deployment.public_id}/stop", {"return_to": "list"}))
    assert '<input type="hidden" name="return_to" value="list">' in html
    question = html[html.index('<section class="card narrow confirm"') :]
    assert question.count('name="csrfmiddlewaretoken"') == 1
