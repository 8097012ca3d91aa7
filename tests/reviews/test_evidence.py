"""Access reviews as evidence: the checklist's Access Controls item fails without a completed review or with
an overdue one, warns when the next is due, and names why; the dashboard shows an overdue review."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from compliance.checklist import evaluate_item
from reviews.models import Campaign
from reviews.services import campaign_start, schedule_update
from tests.reviews.conftest import actor
from tests.reviews.helpers import completed_review

pytestmark = pytest.mark.django_db


def _reasons(organization, day=None) -> str:
    return " ".join(evaluate_item("access_controls", organization, day).reasons)


def _review_status(organization, day=None) -> str:
    from reviews.evidence import access_review_current

    return access_review_current(organization, day or timezone.localdate()).status


def test_no_review_at_all_fails_access_controls_with_a_reason(acme, alice):
    result = evaluate_item("access_controls", acme)
    assert result.status == "fail"
    assert "No access review has been completed yet (164.308(a)(4)): start one" in _reasons(acme)
    assert result.facts["access_review_cadence_days"] == 91


def test_a_first_review_in_progress_warns_and_past_its_due_date_fails(acme, alice, olivia):
    campaign = campaign_start(actor=actor(acme, olivia), organization=acme)
    assert _review_status(acme) == "expiring"
    assert f"finish the open one by {campaign.due_on.isoformat()}" in _reasons(acme)
    late = campaign.due_on + timedelta(days=1)
    assert _review_status(acme, late) == "fail"
    reasons = _reasons(acme, late)
    assert f"was due on {campaign.due_on.isoformat()} and is not signed off (2 item(s) undecided)" in reasons
    assert evaluate_item("access_controls", acme, late).facts["access_review_pending_items"] == 2


def test_a_recent_completed_review_passes_then_comes_due_then_fails(acme, alice, olivia):
    completed_review(acme, signed_off_by=olivia)
    today = timezone.localdate()
    assert _review_status(acme) == "pass"
    facts = evaluate_item("access_controls", acme).facts
    assert facts["access_review_completed_on"] == today.isoformat() and facts["access_review_signed_off_by"] == "olivia"
    assert "access review" not in _reasons(acme).lower()
    assert _review_status(acme, today + timedelta(days=92)) == "expiring"
    assert "An access review is due" in _reasons(acme, today + timedelta(days=92))
    assert _review_status(acme, today + timedelta(days=106)) == "fail"
    assert "the schedule asks for one every 91 days" in _reasons(acme, today + timedelta(days=106))
    schedule_update(actor=actor(acme, alice), cadence_days=365)  # a yearly schedule: still current
    assert _review_status(acme, today + timedelta(days=106)) == "pass"


def test_an_overdue_open_review_fails_even_after_a_completed_one(acme, alice, olivia):
    completed_review(acme, days_ago=100)
    campaign = campaign_start(actor=actor(acme, olivia), organization=acme)
    Campaign.objects.filter(pk=campaign.pk).update(due_on=timezone.localdate() - timedelta(days=2))
    assert _review_status(acme) == "fail"
    assert "is not signed off" in _reasons(acme)


def test_the_dashboard_shows_an_overdue_review(client, acme, alice, olivia, bob):
    client.force_login(olivia)
    tile = _tile(client.get("/").content.decode())
    assert 'data-state="due"' in tile and "none has been completed yet" in tile
    campaign = campaign_start(actor=actor(acme, olivia), organization=acme)
    tile = _tile(client.get("/").content.decode())
    assert 'data-state="open"' in tile and "2 of 2 items undecided" in tile
    Campaign.objects.filter(pk=campaign.pk).update(due_on=timezone.localdate() - timedelta(days=3))
    tile = _tile(client.get("/").content.decode())
    assert 'data-state="overdue"' in tile and 'data-testid="access-review-overdue"' in tile
    assert "3 days ago" in tile and campaign.name in tile
    client.force_login(bob)  # no access:review: no tile
    assert 'data-testid="access-reviews-tile"' not in client.get("/").content.decode()


def _tile(html: str) -> str:
    assert 'data-testid="access-reviews-tile"' in html
    return html.split('data-testid="access-reviews-tile"')[1].split("</section>")[0]
