"""The people directory: `GET /api/v1/users` (+ detail) and the console's Users page show every member with
status, roles, MFA, last sign-in and live API key count; filters and search narrow it; nothing crosses tenants."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from accessctl.actor import Actor
from accessctl.api_keys import api_key_issue, api_key_revoke
from accessctl.invitations import invitation_create
from accessctl.offboarding import user_deactivate
from accessctl.security import settings_for
from tests.conftest import grant
from tests.factories import TEST_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def directory(acme, alice, bob):
    """alice (org-admin), bob (auditor, TOTP, three live keys, a revoked and an expired one), dora
    (deactivated), and an invitation to erin@example.org."""
    admin = Actor(organization=acme, user=alice)
    TOTPDevice.objects.create(user=bob, name="phone", confirmed=True)
    grant(bob, acme, "auditor")
    for name in ("one", "two", "three"):
        api_key_issue(actor=None, organization=acme, user=bob, name=name)
    revoked, _ = api_key_issue(actor=None, organization=acme, user=bob, name="old")
    api_key_revoke(actor=admin, key=revoked)
    api_key_issue(actor=None, organization=acme, user=bob, name="expired",
                  expires_at=timezone.now() + timedelta(seconds=1))  # fmt: skip
    from accessctl.models import ApiKey

    ApiKey.objects.filter(name="expired").update(expires_at=timezone.now() - timedelta(minutes=1))
    dora = UserFactory.create(username="dora", first_name="Dora", last_name="Diaz", organization=acme)
    user_deactivate(actor=admin, user=dora)
    invitation_create(actor=admin, email="erin@example.org", first_name="Erin", roles=["auditor"])
    bob.last_login = timezone.now()
    bob.save(update_fields=["last_login"])
    return admin


def _client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_the_list_shows_every_member_with_status_roles_mfa_and_keys(directory, alice, bob):
    rows = {row["username"]: row for row in _client(alice).get("/api/v1/users").json()["results"]}
    assert set(rows) == {"alice", "bob", "dora", "erin@example.org"}
    assert rows["alice"]["status"] == "active"
    assert rows["alice"]["roles"] == ["org-admin"]
    assert rows["alice"]["mfa"] == {"enrolled": False, "methods": [], "required_by_policy": False}
    assert rows["bob"]["mfa"] == {"enrolled": True, "methods": ["totp"], "required_by_policy": False}
    assert rows["bob"]["roles"] == ["auditor"]
    assert rows["bob"]["api_keys"] == 3  # the revoked and the expired key do not count
    assert rows["bob"]["last_login"] is not None
    assert rows["alice"]["last_login"] is None
    assert rows["dora"]["status"] == "deactivated"
    assert rows["dora"]["name"] == "Dora Diaz"
    assert rows["dora"]["deactivated_at"] is not None
    assert rows["erin@example.org"]["status"] == "invited"
    assert rows["erin@example.org"]["roles"] == ["auditor"]
    assert rows["erin@example.org"]["joined_at"] is None


def test_required_mfa_shows_in_the_list(directory, acme, alice):
    policy = settings_for(acme)
    policy.require_mfa = True
    policy.save()
    rows = {row["username"]: row for row in _client(alice).get("/api/v1/users").json()["results"]}
    assert rows["alice"]["mfa"]["required_by_policy"] is True


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=active", {"alice", "bob"}),
        ("status=invited", {"erin@example.org"}),
        ("status=deactivated", {"dora"}),
        ("role=auditor", {"bob", "erin@example.org"}),
        ("q=diaz", {"dora"}),
        ("q=ERIN", {"erin@example.org"}),
        ("q=example.org&status=active", {"alice", "bob"}),
    ],
)
def test_filters_and_search(directory, alice, query, expected):
    response = _client(alice).get(f"/api/v1/users?{query}")
    assert response.status_code == 200
    assert {row["username"] for row in response.json()["results"]} == expected


def test_an_unknown_status_is_a_field_error(directory, alice):
    response = _client(alice).get("/api/v1/users?status=gone")
    assert response.status_code == 400
    assert "status" in response.json()["errors"]


def test_the_detail_lists_sessions_and_keys(directory, alice, bob, client):
    client.post("/login/", {"username": "bob", "password": TEST_PASSWORD})
    body = _client(alice).get(f"/api/v1/users/{bob.public_id}").json()
    assert body["id"] == bob.public_id
    assert len(body["sessions"]) == 1
    assert {k["name"] for k in body["keys"]} == {"one", "two", "three", "old", "expired"}
    assert next(k for k in body["keys"] if k["name"] == "old")["revoked_at"] is not None


def test_another_organisations_member_is_not_found(directory, alice, charlie):
    assert _client(alice).get(f"/api/v1/users/{charlie.public_id}").status_code == 404
    assert _client(charlie).get(f"/api/v1/users/{alice.public_id}").status_code == 404
    assert {row["username"] for row in _client(charlie).get("/api/v1/users").json()["results"]} == {"charlie"}


def test_a_member_without_user_read_is_refused(directory, acme):
    carol = UserFactory.create(username="carol", organization=acme)
    assert _client(carol).get("/api/v1/users").status_code == 403


def test_the_console_page_lists_and_filters(directory, alice, client):
    client.force_login(alice)
    page = client.get("/access/users")
    assert page.status_code == 200
    text = page.content.decode()
    for name in ("alice", "bob", "Dora Diaz", "Erin"):
        assert name in text
    filtered = client.get("/access/users?status=deactivated").content.decode()
    assert "Dora Diaz" in filtered and "erin@example.org" not in filtered
    assert client.get("/access/users?status=nonsense").status_code == 200  # a form error, never a 500


def test_the_console_detail_page_and_its_audit_events(directory, alice, bob, client):
    client.force_login(alice)
    detail = client.get(f"/access/users/{bob.public_id}").content.decode()
    assert "auditor" in detail and "one" in detail and "Deactivate" in detail
    recent = client.get(f"/audit/users/{bob.public_id}/recent").content.decode()
    assert "api_key.created" in recent and "role.assigned" in recent


def test_the_navigation_offers_users_to_whoever_may_read_them(directory, alice, acme, client):
    client.force_login(alice)
    assert 'href="/access/users"' in client.get("/").content.decode()
    carol = UserFactory.create(username="carol", organization=acme)
    client.force_login(carol)
    assert 'href="/access/users"' not in client.get("/").content.decode()
    assert client.get("/access/users").status_code == 403


def test_the_list_costs_the_same_queries_for_ten_more_members(directory, acme, alice, django_assert_max_num_queries):
    client = _client(alice)
    with django_assert_max_num_queries(12) as few:
        client.get("/api/v1/users")
    for n in range(10):
        UserFactory.create(username=f"extra{n}", organization=acme)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(client.get("/api/v1/users").json()["results"]) == 14


def test_the_cursor_walks_every_page(directory, alice):
    client = _client(alice)
    page = client.get("/api/v1/users?page_size=1&status=active").json()
    seen = [row["username"] for row in page["results"]]
    while page["next"]:
        page = client.get(page["next"]).json()
        seen += [row["username"] for row in page["results"]]
    assert seen == ["alice", "bob"]
    assert client.get("/api/v1/users?status=").status_code == 400
