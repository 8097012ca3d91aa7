"""The REST API shell: OpenAPI 3 schema, 401/403/404 as problem-JSON, tenancy, cursor pagination."""

from __future__ import annotations

import pytest
from openapi_spec_validator import validate
from rest_framework import exceptions

from core.api.errors import problem_exception_handler
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"


def test_schema_is_valid_openapi_3(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    spec = response.json()
    assert spec["openapi"].startswith("3.")
    validate(spec)
    assert "/api/v1/me" in spec["paths"]
    assert "/api/v1/organization/members" in spec["paths"]


def test_swagger_ui_is_served_without_external_assets(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html
    assert "cdn." not in html and "unpkg" not in html


def test_unauthenticated_call_gets_401_problem_json_not_a_redirect(api_client):
    response = api_client.get("/api/v1/me")
    assert response.status_code == 401
    assert response["Content-Type"] == PROBLEM
    assert "WWW-Authenticate" in response
    body = response.json()
    assert body["status"] == 401
    assert body["title"] == "Unauthorized"
    assert body["type"].startswith("https://")
    assert "credentials" in body["detail"].lower()


def test_me_returns_the_caller_and_their_organisation(api_client, alice):
    api_client.force_authenticate(alice)
    response = api_client.get("/api/v1/me")
    assert response.status_code == 200
    body = response.json()
    assert body["user_id"] == alice.public_id
    assert body["organization"]["name"] == "Acme Health"
    assert body["organization"]["id"].startswith("org_")


def test_user_without_organisation_gets_403_problem(api_client):
    drifter = UserFactory.create(username="drifter")
    api_client.force_authenticate(drifter)
    response = api_client.get("/api/v1/me")
    assert response.status_code == 403
    assert response["Content-Type"] == PROBLEM
    assert "not an active member" in response.json()["detail"]


def test_members_are_scoped_to_the_callers_organisation(api_client, alice, bob, charlie):
    api_client.force_authenticate(alice)
    response = api_client.get("/api/v1/organization/members")
    assert response.status_code == 200
    usernames = {row["username"] for row in response.json()["results"]}
    assert usernames == {"alice", "bob"}

    api_client.force_authenticate(charlie)
    usernames = {row["username"] for row in api_client.get("/api/v1/organization/members").json()["results"]}
    assert usernames == {"charlie"}


def test_members_use_cursor_pagination(api_client, alice, bob):
    api_client.force_authenticate(alice)
    first = api_client.get("/api/v1/organization/members", {"page_size": 1}).json()
    assert len(first["results"]) == 1
    assert "cursor=" in first["next"]
    second = api_client.get(first["next"]).json()
    assert len(second["results"]) == 1
    assert {first["results"][0]["username"], second["results"][0]["username"]} == {"alice", "bob"}
    assert second["next"] is None


def test_unknown_api_path_is_problem_json_404(api_client, alice):
    api_client.force_authenticate(alice)
    response = api_client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response["Content-Type"] == PROBLEM
    assert response.json()["status"] == 404


def test_session_api_writes_need_csrf(alice):
    from rest_framework.test import APIClient

    client = APIClient(enforce_csrf_checks=True)
    client.force_login(alice)
    response = client.post("/api/v1/me", {}, format="json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]


def test_validation_errors_name_each_field():
    exc = exceptions.ValidationError({"vpc_config": {"subnet_ids": ["Bad subnet id."]}, "name": ["Required."]})
    response = problem_exception_handler(exc, {})
    assert response.status_code == 400
    assert response.data["errors"] == {"vpc_config.subnet_ids": ["Bad subnet id."], "name": ["Required."]}
    assert response.data["detail"] == "Invalid input: name, vpc_config.subnet_ids."


def test_unexpected_exception_is_a_generic_500_without_its_message():
    response = problem_exception_handler(RuntimeError("Patient John Smith"), {})
    assert response.status_code == 500
    assert "John" not in str(response.data)


def test_a_services_field_error_becomes_a_400_naming_the_field():
    from core.errors import FieldError

    response = problem_exception_handler(FieldError("vpc_config.subnet_ids", "Give subnet ids."), {})
    assert response.status_code == 400
    assert response.data["errors"] == {"vpc_config.subnet_ids": ["Give subnet ids."]}


def test_the_member_list_needs_user_read(api_client, acme, bob):
    from tests.conftest import grant

    api_client.force_authenticate(bob)
    refused = api_client.get("/api/v1/organization/members")
    assert refused.status_code == 403 and "user:read" in refused.json()["detail"]
    grant(bob, acme, "auditor")
    assert api_client.get("/api/v1/organization/members").status_code == 200
