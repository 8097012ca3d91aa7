"""The console shell: sign-in, dashboard, navigation, security headers."""

from __future__ import annotations

import pytest

from tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db


def test_dashboard_requires_sign_in(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_wrong_password_shows_a_form_error(client, alice):
    response = client.post("/login/", {"username": "alice", "password": "wrong password"})
    assert response.status_code == 200
    assert "Wrong username or password." in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_sign_in_leads_to_the_dashboard_of_the_users_organisation(client, alice, bob, charlie):
    response = client.post("/login/", {"username": "alice", "password": TEST_PASSWORD}, follow=True)
    assert response.status_code == 200
    html = response.content.decode()
    assert response.redirect_chain[-1][0] == "/"
    assert 'data-testid="organization-name">Acme Health<' in html
    assert 'data-testid="member-count">2<' in html
    assert "Globex" not in html and "charlie" not in html


def test_navigation_lists_only_pages_that_exist_and_the_user_may_open(client, alice, bob):
    client.force_login(alice)
    links = [item["url"] for item in client.get("/").context["nav_items"]]
    assert links == [
        "/",
        "/deployments/",
        "/playground/",
        "/scans/",
        "/compliance/",
        "/reports/",
        "/disclosures/",
        "/incidents/",
        "/access/users",
        "/access/roles",
        "/access/reviews/",
        "/settings/security",
        "/settings/keys/",
        "/access/sso",
        "/access/scim",
        "/emergency/",
        "/account/api-keys",
        "/audit/",
        "/audit/siem/",
        "/api/docs/",
    ]
    groups = client.get("/").context["nav_groups"]
    assert [g["label"] for g in groups] == ["Overview", "Models", "Compliance", "Access", "Audit", "Help"]
    for url in links:
        assert client.get(url).status_code == 200
    client.force_login(bob)  # a member without roles
    assert [item["url"] for item in client.get("/").context["nav_items"]] == ["/", "/account/api-keys", "/api/docs/"]
    assert [g["label"] for g in client.get("/").context["nav_groups"]] == ["Overview", "Access", "Help"]
    assert client.get("/audit/").status_code == 403


def test_superuser_sees_admin_only_when_the_operator_turned_it_on(client, alice, settings):
    alice.is_superuser = alice.is_staff = True
    alice.save()
    client.force_login(alice)
    assert "/admin/" not in [item["url"] for item in client.get("/").context["nav_items"]]
    assert client.get("/admin/").status_code == 404  # off by default
    settings.PAITIENT_ADMIN_ENABLED = True
    assert "/admin/" in [item["url"] for item in client.get("/").context["nav_items"]]
    response = client.get("/admin/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]  # no second factor yet


def test_user_without_organisation_is_told_so(client):
    from tests.factories import UserFactory

    client.force_login(UserFactory.create(username="drifter"))
    response = client.get("/")
    assert response.status_code == 403
    assert "not an active member of any organisation" in response.content.decode()


def test_health_partial_lists_each_check(client, alice):
    client.force_login(alice)
    html = client.get("/dashboard/health").content.decode()
    for name in ("database", "broker", "worker"):
        assert f'data-check="{name}"' in html


def test_sign_out_is_a_post_and_ends_the_session(client, alice):
    client.force_login(alice)
    assert client.get("/logout/").status_code == 405
    response = client.post("/logout/")
    assert response.status_code == 302
    assert client.get("/").status_code == 302


def test_security_headers_are_set(client):
    response = client.get("/login/")
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert len(response["X-Request-ID"]) >= 8


def test_well_formed_request_id_is_echoed_and_junk_is_replaced(client):
    assert client.get("/healthz", HTTP_X_REQUEST_ID="req-12345678")["X-Request-ID"] == "req-12345678"
    replaced = client.get("/healthz", HTTP_X_REQUEST_ID="<script>")["X-Request-ID"]
    assert replaced != "<script>" and len(replaced) == 32


def test_unknown_console_page_is_a_friendly_404(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "There is no page at this address." in response.content.decode()


def test_favicon_is_served(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response["Location"].endswith("portal/favicon.svg")
