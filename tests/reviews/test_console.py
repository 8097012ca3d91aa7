"""Console pages of access reviews: start, keep, revoke behind a confirmation, own items not offered, every form
error shown at once, sign-off, the schedule, and who may open them."""

from __future__ import annotations

import pytest

from accessctl.models import RoleAssignment
from reviews.models import Campaign, CampaignStatus, Decision, ItemKind

pytestmark = pytest.mark.django_db
LIST = "/access/reviews/"


@pytest.fixture
def officer(client, olivia):
    client.force_login(olivia)
    return client


def _start(officer) -> Campaign:
    response = officer.post(LIST, {"name": "Q4 review"})
    assert response.status_code == 302, response.content[:500]
    campaign = Campaign.objects.get()
    assert response["Location"] == f"{LIST}{campaign.public_id}"
    return campaign


def test_a_reviewer_starts_keeps_and_revokes_with_a_confirmation(officer, acme, alice, olivia, bob, bob_grants):
    campaign = _start(officer)
    page = officer.get(f"{LIST}{campaign.public_id}").content.decode()
    assert page.count('/decide"') == 3  # not olivia's own item
    assert "Your own access: another reviewer decides." in page
    role = campaign.items.get(subject=bob, kind=ItemKind.ROLE)
    url = f"{LIST}{campaign.public_id}/items/{role.public_id}/decide"
    fields = {f"{role.public_id}-decision": "revoke", f"{role.public_id}-comment": "moved to billing"}
    confirm = officer.post(url, fields)
    assert confirm.status_code == 200 and "Revoke access" in confirm.content.decode()
    assert "bob: role auditor" in confirm.content.decode()
    assert RoleAssignment.objects.filter(user=bob, role__name="auditor").exists()  # nothing happened yet
    done = officer.post(url, {**fields, "confirmed": "yes"})
    assert done.status_code == 302 and done["Location"].endswith(f"#item-{role.public_id}")
    assert not RoleAssignment.objects.filter(user=bob, role__name="auditor").exists()
    key = campaign.items.get(subject=bob, kind=ItemKind.API_KEY)
    kept = officer.post(
        f"{LIST}{campaign.public_id}/items/{key.public_id}/decide", {f"{key.public_id}-decision": "keep"}
    )
    assert kept.status_code == 302
    key.refresh_from_db()
    assert key.decision == Decision.KEEP
    listing = officer.get(LIST).content.decode()
    assert "Q4 review" in listing and "4 items, 2 pending" in listing


def test_form_errors_are_shown_all_at_once(officer, acme, alice, olivia, bob, bob_grants):
    campaign = _start(officer)
    role = campaign.items.get(subject=bob, kind=ItemKind.ROLE)
    url = f"{LIST}{campaign.public_id}/items/{role.public_id}/decide"
    response = officer.post(url, {f"{role.public_id}-decision": "maybe", f"{role.public_id}-comment": "x" * 1001})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'data-field="decision"' in html and 'data-field="comment"' in html
    response = officer.post(url, {f"{role.public_id}-decision": "revoke"})
    assert response.status_code == 400 and "Say why the access is revoked." in response.content.decode()
    sign_off = officer.post(f"{LIST}{campaign.public_id}/sign-off", {"note": "y" * 1001})
    html = sign_off.content.decode()
    assert sign_off.status_code == 400 and 'data-field="attest"' in html and 'data-field="note"' in html
    early = officer.post(f"{LIST}{campaign.public_id}/sign-off", {"attest": "on"})
    assert early.status_code == 400 and "4 item(s) still need a keep or revoke decision." in early.content.decode()
    role.refresh_from_db()
    assert role.decision == Decision.PENDING and Campaign.objects.get().status == CampaignStatus.OPEN


def test_own_items_and_refused_revokes_show_as_form_errors(officer, acme, alice, olivia):
    campaign = _start(officer)
    own = campaign.items.get(subject=olivia)
    response = officer.post(
        f"{LIST}{campaign.public_id}/items/{own.public_id}/decide", {f"{own.public_id}-decision": "keep"}
    )
    assert response.status_code == 400 and "Nobody reviews their own access" in response.content.decode()
    admin = campaign.items.get(subject=alice)
    fields = {f"{admin.public_id}-decision": "revoke", f"{admin.public_id}-comment": "too many", "confirmed": "yes"}
    refused = officer.post(f"{LIST}{campaign.public_id}/items/{admin.public_id}/decide", fields)
    assert refused.status_code == 400 and "You cannot grant what you do not hold" in refused.content.decode()
    assert RoleAssignment.objects.filter(user=alice, role__name="org-admin").exists()


def test_the_whole_campaign_signed_off_in_the_console(client, officer, acme, alice, olivia):
    campaign = _start(officer)
    admin = campaign.items.get(subject=alice)
    officer.post(f"{LIST}{campaign.public_id}/items/{admin.public_id}/decide", {f"{admin.public_id}-decision": "keep"})
    client.force_login(alice)
    own = campaign.items.get(subject=olivia)
    client.post(f"{LIST}{campaign.public_id}/items/{own.public_id}/decide", {f"{own.public_id}-decision": "keep"})
    done = client.post(f"{LIST}{campaign.public_id}/sign-off", {"attest": "on", "note": "fine"})
    assert done.status_code == 302
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.COMPLETED and campaign.signed_off_by == alice
    assert "signed off" in client.get(done["Location"]).content.decode().lower()


def test_the_schedule_form_and_who_may_open_the_pages(client, acme, alice, olivia, bob):
    client.force_login(bob)
    assert client.get(LIST).status_code == 403
    client.force_login(olivia)
    assert client.get(f"{LIST}schedule").status_code == 403  # settings:manage
    assert "Access reviews" in client.get("/").content.decode()  # the navigation
    client.force_login(alice)
    bad = client.post(f"{LIST}schedule", {"cadence_days": "7", "review_days": "0"})
    html = bad.content.decode()
    assert bad.status_code == 400 and 'data-field="cadence_days"' in html and 'data-field="review_days"' in html
    saved = client.post(
        f"{LIST}schedule", {"cadence_days": "30", "review_days": "10", "reviewer_ids": [olivia.public_id]}
    )
    assert saved.status_code == 302
    page = client.get(LIST).content.decode()
    assert "Monthly" in page and "olivia" in page


def test_another_organisations_review_is_not_found(client, acme, globex, olivia, charlie):
    client.force_login(olivia)
    campaign = _start(client)
    item = campaign.items.get()
    client.force_login(charlie)
    assert client.get(f"{LIST}{campaign.public_id}").status_code == 404
    decided = client.post(f"{LIST}{campaign.public_id}/items/{item.public_id}/decide",
                          {f"{item.public_id}-decision": "keep"})  # fmt: skip
    assert decided.status_code == 404
    assert campaign.public_id not in client.get(LIST).content.decode()


def test_starting_a_second_review_shows_why_on_the_form(officer, acme, alice, olivia):
    _start(officer)
    again = officer.post(LIST, {"name": "another"})
    assert again.status_code == 400 and "An access review is already open" in again.content.decode()
    assert Campaign.objects.count() == 1
