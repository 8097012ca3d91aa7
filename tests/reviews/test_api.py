"""REST for access reviews: the whole round trip, bad input named by field, conflicts, another organisation's
reviews invisible, and the OpenAPI document."""

from __future__ import annotations

import pytest

from accessctl.models import RoleAssignment
from audit.models import AuditEvent
from reviews.models import Campaign, Decision

pytestmark = pytest.mark.django_db
BASE = "/api/v1/access-reviews"


@pytest.fixture
def officer_client(api_client, olivia):
    api_client.force_authenticate(olivia)
    return api_client


def _items(body):
    return {(row["username"], row["kind"]): row for row in body["items"]}


def test_a_review_round_trip(officer_client, api_client, acme, alice, olivia, bob, bob_grants):
    started = officer_client.post(BASE, {"name": "Q4 review"}, format="json")
    assert started.status_code == 201, started.content
    review = started.json()
    assert (review["name"], review["status"], review["items_total"], review["items_pending"]) == ("Q4 review", "open",
                                                                                                  4, 4)  # fmt: skip
    assert officer_client.post(BASE, {}, format="json").status_code == 409
    listed = officer_client.get(BASE).json()["results"]
    assert [row["id"] for row in listed] == [review["id"]] and "items" not in listed[0]
    items = _items(review)
    url = f"{BASE}/{review['id']}/items"
    kept = officer_client.post(f"{url}/{items[('alice', 'role')]['id']}/decision", {"decision": "keep"}, format="json")
    assert (
        kept.status_code == 200 and kept.json()["decision"] == "keep" and kept.json()["decided_by"] == olivia.public_id
    )
    revoked = officer_client.post(f"{url}/{items[('bob', 'role')]['id']}/decision",
                                  {"decision": "revoke", "comment": "no longer audits"}, format="json")  # fmt: skip
    assert revoked.status_code == 200 and revoked.json()["revoked"] is True
    assert not RoleAssignment.objects.filter(user=bob, role__name="auditor").exists()
    officer_client.post(f"{url}/{items[('bob', 'api_key')]['id']}/decision", {"decision": "keep"}, format="json")
    own = officer_client.post(f"{url}/{items[('olivia', 'role')]['id']}/decision", {"decision": "keep"}, format="json")
    assert own.status_code == 403 and "own access" in own.json()["detail"]
    early = officer_client.post(f"{BASE}/{review['id']}/sign-off", {}, format="json")
    assert early.status_code == 409 and "1 item(s)" in early.json()["detail"]
    api_client.force_authenticate(alice)
    api_client.post(f"{url}/{items[('olivia', 'role')]['id']}/decision", {"decision": "keep"}, format="json")
    api_client.force_authenticate(olivia)
    done = officer_client.post(f"{BASE}/{review['id']}/sign-off", {"note": "quarterly"}, format="json")
    assert done.status_code == 200, done.content
    body = done.json()
    summary = (body["status"], body["signed_off_by"], body["items_revoked"], body["items_kept"])
    assert summary == ("completed", olivia.public_id, 1, 3)
    detail = officer_client.get(f"{BASE}/{review['id']}").json()
    assert _items(detail)[("bob", "role")]["comment"] == "no longer audits"
    assert AuditEvent.objects.filter(event_type__startswith="access_review.").count() == 6


def test_bad_input_gets_400s_naming_the_field(officer_client, api_client, alice, olivia, bob, bob_grants):
    review = officer_client.post(BASE, {}, format="json").json()
    item = _items(review)[("bob", "role")]["id"]
    url = f"{BASE}/{review['id']}/items/{item}/decision"
    cases = [
        ({"decision": "maybe"}, "decision"),
        ({}, "decision"),
        ({"decision": "revoke"}, "comment"),
        ({"decision": "keep", "comment": "x" * 1001}, "comment"),
        ({"decision": "keep", "reviewer": "me"}, "reviewer"),
        ({"decision": 1}, "decision"),
    ]
    for body, field in cases:
        response = officer_client.post(url, body, format="json")
        assert response.status_code == 400, (body, response.content)
        assert field in str(response.json()), (body, response.json())
    assert Campaign.objects.get().items.get(public_id=item).decision == Decision.PENDING
    assert officer_client.post(BASE, {"name": "x" * 121}, format="json").status_code == 400
    assert officer_client.post(f"{BASE}/{review['id']}/sign-off", {"note": 5}, format="json").status_code == 400
    assert officer_client.get(f"{BASE}/arv_missing00000").status_code == 404
    assert officer_client.post(f"{BASE}/{review['id']}/items/ari_missing00000/decision", {"decision": "keep"},
                               format="json").status_code == 404  # fmt: skip
    api_client.force_authenticate(alice)
    schedule = f"{BASE}/schedule"
    bad_schedules = [
        ({"cadence_days": 10}, "cadence_days"),
        ({"review_days": 0}, "review_days"),
        ({"review_days": "7"}, "review_days"),
        ({"reviewer_ids": ["user_nobody000"]}, "reviewer_ids"),
        ({"reviewer_ids": [bob.public_id]}, "reviewer_ids"),
        ({"auto_start": "yes"}, "auto_start"),
    ]
    for body, field in bad_schedules:
        response = api_client.patch(schedule, body, format="json")
        assert response.status_code == 400 and field in str(response.json()), (body, response.content)
    saved = api_client.patch(schedule, {"cadence_days": 365, "reviewer_ids": [olivia.public_id]}, format="json")
    assert saved.status_code == 200 and saved.json()["cadence_days"] == 365
    assert api_client.get(schedule).json()["reviewer_ids"] == [olivia.public_id]


def test_another_organisations_reviewer_can_neither_see_nor_decide(api_client, acme, globex, olivia, charlie, bob,
                                                                    bob_grants):  # fmt: skip
    api_client.force_authenticate(olivia)
    ours = api_client.post(BASE, {}, format="json").json()
    item = _items(ours)[("bob", "role")]["id"]
    api_client.force_authenticate(charlie)  # globex's org-admin: holds access:review in globex
    assert api_client.get(f"{BASE}/{ours['id']}").status_code == 404
    decided = api_client.post(f"{BASE}/{ours['id']}/items/{item}/decision",
                              {"decision": "revoke", "comment": "not ours"}, format="json")  # fmt: skip
    assert decided.status_code == 404
    assert api_client.post(f"{BASE}/{ours['id']}/sign-off", {}, format="json").status_code == 404
    assert api_client.get(BASE).json()["results"] == []
    theirs = api_client.post(BASE, {}, format="json").json()  # globex's own review: acme's people are not in it
    assert {row["username"] for row in theirs["items"]} == {"charlie"}
    assert RoleAssignment.objects.filter(user=bob, role__name="auditor").exists()
    assert Campaign.objects.get(public_id=ours["id"]).items.get(public_id=item).decision == Decision.PENDING


def test_the_openapi_document_describes_the_endpoints(api_client, alice):
    api_client.force_authenticate(alice)
    schema = api_client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    paths = schema["paths"]
    assert {"/api/v1/access-reviews", "/api/v1/access-reviews/{review_id}", "/api/v1/access-reviews/schedule",
            "/api/v1/access-reviews/{review_id}/items/{item_id}/decision",
            "/api/v1/access-reviews/{review_id}/sign-off"} <= set(paths)  # fmt: skip
    decide = paths["/api/v1/access-reviews/{review_id}/items/{item_id}/decision"]["post"]
    assert decide["operationId"] == "access_reviews_items_decide"
    assert "409" in decide["responses"] and "requestBody" in decide
