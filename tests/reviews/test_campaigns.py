"""Access review campaigns through the services: the snapshot, keep and revoke with their real effects,
separation of duties, sign-off, the designated reviewers and the scheduler."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accessctl.api_keys import api_key_for_token, api_key_issue
from accessctl.apps import builtin_roles_sync
from accessctl.models import Role, RoleAssignment
from accessctl.policy import GrantDenied, PolicyDenied, is_allowed
from audit.models import AuditEvent
from core.errors import StateConflict
from reviews.models import Campaign, CampaignStatus, Decision, ItemKind
from reviews.services import (
    ReviewError,
    campaign_sign_off,
    campaign_start,
    campaigns_record_overdue,
    campaigns_start_due,
    item_decide,
    schedule_update,
)
from tests.conftest import grant
from tests.reviews.conftest import actor

pytestmark = pytest.mark.django_db


def _item(campaign, username, kind=ItemKind.ROLE, name=None):
    found = campaign.items.filter(subject__username=username, kind=kind)
    return (found.filter(grant_name=name) if name else found).get()


def test_a_campaign_snapshots_every_active_members_roles_and_live_keys(acme, globex, alice, olivia, bob_grants,
                                                                        dave, charlie):  # fmt: skip
    campaign = campaign_start(actor=actor(acme, olivia), organization=acme)
    snapshot = {(i.subject.username, i.kind, i.grant_name) for i in campaign.items.select_related("subject")}
    assert snapshot == {
        ("alice", "role", "org-admin"),
        ("olivia", "role", "compliance-officer"),
        ("bob", "role", "auditor"),
        ("bob", "api_key", "bob laptop"),  # not the revoked or the expired key, nothing of dave's or globex's
    }
    key_item = _item(campaign, "bob", ItemKind.API_KEY)
    assert key_item.key_prefix == bob_grants["key"].prefix and key_item.target == f"api-key/{key_item.key_prefix}"
    assert _item(campaign, "bob").permissions == sorted(Role.objects.get(organization=acme, name="auditor").permissions)
    assert campaign.status == CampaignStatus.OPEN and campaign.started_by == olivia
    assert campaign.due_on == timezone.localdate() + timedelta(days=14)
    event = AuditEvent.objects.get(event_type="access_review.started")
    assert event.resource_id == campaign.public_id and event.user_id == olivia.public_id
    assert event.details == {"items": 4, "members": 3, "due_on": campaign.due_on.isoformat(), "by": "hand"}
    with pytest.raises(StateConflict):
        campaign_start(actor=actor(acme, alice), organization=acme)
    assert Campaign.objects.filter(organization=acme).count() == 1


def test_starting_needs_the_access_review_permission(acme, bob):
    with pytest.raises(PolicyDenied):
        campaign_start(actor=actor(acme, bob), organization=acme)
    assert not Campaign.objects.exists()
    assert AuditEvent.objects.filter(event_type="access.denied", user_id=bob.public_id).exists()


def test_keep_records_the_decision_and_leaves_the_role(acme, alice, olivia, bob, bob_grants):
    campaign = campaign_start(actor=actor(acme, olivia), organization=acme)
    kept = item_decide(actor=actor(acme, olivia), item=_item(campaign, "bob"), decision="keep")
    assert (kept.decision, kept.decided_by, kept.revoked) == (Decision.KEEP, olivia, False)
    assert RoleAssignment.objects.filter(user=bob, role__name="auditor").exists()
    event = AuditEvent.objects.get(event_type="access_review.item_kept")
    assert event.details == {"user_id": bob.public_id, "kind": "role", "grant": "role/auditor", "removed": False}
    with pytest.raises(StateConflict):  # decisions are final
        item_decide(actor=actor(acme, alice), item=kept, decision="revoke", comment="changed my mind")


def test_revoking_a_role_really_removes_it(acme, olivia, bob, bob_grants):
    campaign = campaign_start(actor=actor(acme, olivia), organization=acme)
    assert is_allowed(actor(acme, bob), "audit:read", "organization/acme-health")
    revoked = item_decide(actor=actor(acme, olivia), item=_item(campaign, "bob"), decision="revoke",
                          comment="left the audit team")  # fmt: skip
    assert revoked.revoked and revoked.comment == "left the audit team"
    assert not RoleAssignment.objects.filter(user=bob, role__name="auditor").exists()
    assert not is_allowed(actor(acme, bob), "audit:read", "organization/acme-health")
    types = list(AuditEvent.objects.order_by("id").values_list("event_type", flat=True))
    assert types[-2:] == ["role.unassigned", "access_review.item_revoked"]
    assert "left the audit team" not in str(AuditEvent.objects.get(event_type="access_review.item_revoked").details)


def test_revoking_a_key_really_revokes_it(acme, olivia, bob, bob_grants):
    campaign = campaign_start(actor=actor(acme, olivia), organization=acme)
    assert api_key_for_token(str(bob_grants["token"])) is not None
    item_decide(actor=actor(acme, olivia), item=_item(campaign, "bob", ItemKind.API_KEY), decision="revoke",
                comment="laptop was replaced")  # fmt: skip
    assert api_key_for_token(str(bob_grants["token"])) is None
    key = bob_grants["key"]
    key.refresh_from_db()
    assert key.revoked_at is not None
    assert AuditEvent.objects.filter(event_type="api_key.revoked", resource_id=key.public_id).exists()


def test_nobody_reviews_their_own_access(acme, alice, olivia):
    campaign = campaign_start(actor=actor(acme, olivia), organization=acme)
    own = _item(campaign, "olivia")
    with pytest.raises(GrantDenied) as refused:
        item_decide(actor=actor(acme, olivia), item=own, decision="keep")
    assert "own access" in refused.value.message
    own.refresh_from_db()
    assert own.decision == Decision.PENDING
    denial = AuditEvent.objects.get(event_type="access.denied", user_id=olivia.public_id)
    assert denial.details["reason"] == "self_review"
    assert item_decide(actor=actor(acme, alice), item=own, decision="keep").decided_by == alice


def test_a_revoke_beyond_the_reviewers_own_permissions_is_refused_and_the_item_stays_open(acme, alice, olivia):
    campaign = campaign_start(actor=actor(acme, olivia), organization=acme)
    admin_item = _item(campaign, "alice")
    with pytest.raises(GrantDenied):
        item_decide(actor=actor(acme, olivia), item=admin_item, decision="revoke", comment="too many admins")
    admin_item.refresh_from_db()
    assert admin_item.decision == Decision.PENDING
    assert RoleAssignment.objects.filter(user=alice, role__name="org-admin").exists()
    denial = AuditEvent.objects.get(event_type="access.denied", user_id=olivia.public_id)
    assert denial.details["reason"] == "beyond_own_permissions"  # the refusal was kept, not rolled back


def test_bad_decisions_name_their_field(acme, olivia, bob, bob_grants):
    campaign = campaign_start(actor=actor(acme, olivia), organization=acme)
    item = _item(campaign, "bob")
    for decision, comment, field in (("maybe", "", "decision"), ("revoke", "", "comment"),
                                     ("keep", "x" * 1001, "comment")):  # fmt: skip
        with pytest.raises(ReviewError) as refused:
            item_decide(actor=actor(acme, olivia), item=item, decision=decision, comment=comment)
        assert refused.value.field == field
    item.refresh_from_db()
    assert item.decision == Decision.PENDING


def test_sign_off_needs_every_item_decided_and_completes_the_campaign(acme, alice, olivia, bob, bob_grants):
    campaign = campaign_start(actor=actor(acme, olivia), organization=acme)
    with pytest.raises(StateConflict) as refused:
        campaign_sign_off(actor=actor(acme, olivia), campaign=campaign)
    assert refused.value.field == "items" and "4 item(s)" in str(refused.value)
    for item in campaign.items.exclude(subject=olivia):
        item_decide(actor=actor(acme, olivia), item=item, decision="keep")
    item_decide(actor=actor(acme, alice), item=_item(campaign, "olivia"), decision="keep")
    done = campaign_sign_off(actor=actor(acme, olivia), campaign=campaign, note="All access still needed.")
    assert (done.status, done.signed_off_by, done.sign_off_note) == (CampaignStatus.COMPLETED, olivia,
                                                                     "All access still needed.")  # fmt: skip
    assert done.completed_at is not None
    event = AuditEvent.objects.get(event_type="access_review.completed")
    assert event.details == {"items": 4, "kept": 4, "revoked": 0, "late": False}
    with pytest.raises(StateConflict):
        campaign_sign_off(actor=actor(acme, olivia), campaign=campaign)
    campaign_start(actor=actor(acme, olivia), organization=acme)  # the next one may start


def test_designated_reviewers_are_the_only_ones_who_decide(acme, alice, olivia, bob, bob_grants):
    with pytest.raises(ReviewError) as refused:
        schedule_update(actor=actor(acme, alice), reviewer_ids=[bob.public_id])
    assert refused.value.field == "reviewer_ids" and "access:review" in str(refused.value)
    schedule_update(actor=actor(acme, alice), reviewer_ids=[olivia.public_id], cadence_days=30)
    campaign = campaign_start(actor=actor(acme, alice), organization=acme)
    with pytest.raises(GrantDenied):
        item_decide(actor=actor(acme, alice), item=_item(campaign, "bob"), decision="keep")
    denial = AuditEvent.objects.get(event_type="access.denied", user_id=alice.public_id)
    assert denial.details["reason"] == "not_designated_reviewer"
    item_decide(actor=actor(acme, olivia), item=_item(campaign, "bob"), decision="keep")
    updated = AuditEvent.objects.get(event_type="access_review.schedule_updated")
    assert updated.details["after"] == {"cadence_days": 30, "review_days": 14, "auto_start": True,
                                        "reviewers": [olivia.public_id]}  # fmt: skip
    with pytest.raises(PolicyDenied):  # the schedule is an organisation setting
        schedule_update(actor=actor(acme, olivia), review_days=30)


def test_the_scheduler_starts_due_campaigns_and_audits_overdue_ones(acme, globex, alice, charlie):
    started = campaigns_start_due()
    assert {c.organization for c in started} == {acme, globex}
    assert all(c.started_by is None for c in started)
    assert campaigns_start_due() == []  # one open campaign each
    theirs = Campaign.objects.get(organization=globex)
    assert campaigns_record_overdue(timezone.localdate() + timedelta(days=15)) == 2
    assert campaigns_record_overdue(timezone.localdate() + timedelta(days=16)) == 0  # audited once
    overdue = AuditEvent.objects.get(event_type="access_review.overdue", resource_id=theirs.public_id)
    assert overdue.details == {"due_on": theirs.due_on.isoformat(), "pending": 1}
    ours = Campaign.objects.get(organization=acme)
    Campaign.objects.filter(pk=ours.pk).update(status=CampaignStatus.COMPLETED, completed_at=timezone.now())
    assert campaigns_start_due() == []  # completed today: next due in a quarter
    assert campaigns_start_due(timezone.localdate() + timedelta(days=91))[0].organization == acme


def test_existing_organisations_built_in_roles_gain_the_review_permission(acme):
    officer = Role.objects.get(organization=acme, name="compliance-officer")
    officer.permissions = [p for p in officer.permissions if p != "access:review"]
    officer.save(update_fields=["permissions"])
    builtin_roles_sync()
    for name in ("org-admin", "security-admin", "compliance-officer"):
        assert "access:review" in Role.objects.get(organization=acme, name=name).permissions, name
    assert "access:review" not in Role.objects.get(organization=acme, name="auditor").permissions
    event = AuditEvent.objects.filter(event_type="role.updated", resource="role/compliance-officer").get()
    assert "access:review" in event.details["after"]


def test_a_member_granted_nothing_gets_no_items_but_a_new_role_appears_in_the_next_campaign(acme, alice, olivia, bob):
    first = campaign_start(actor=actor(acme, olivia), organization=acme)
    assert not first.items.filter(subject=bob).exists()
    grant(bob, acme, "auditor")
    _, _ = api_key_issue(actor=None, organization=acme, user=bob, name="new key")
    Campaign.objects.filter(pk=first.pk).update(status=CampaignStatus.COMPLETED, completed_at=timezone.now())
    second = campaign_start(actor=actor(acme, olivia), organization=acme)
    assert second.items.filter(subject=bob).count() == 2


def test_the_daily_task_starts_and_reports(acme, alice):
    from reviews.tasks import access_reviews_daily

    assert access_reviews_daily() == {"started": 1, "overdue": 0}
    assert access_reviews_daily() == {"started": 0, "overdue": 0}
    started = AuditEvent.objects.get(event_type="access_review.started")
    assert started.details["by"] == "scheduler" and started.actor_type == "system"


def test_revoking_a_grant_already_gone_records_the_decision_without_removing_anything(acme, alice, olivia, bob,
                                                                                       bob_grants):  # fmt: skip
    campaign = campaign_start(actor=actor(acme, olivia), organization=acme)
    RoleAssignment.objects.filter(user=bob).delete()  # removed by hand since the snapshot
    decided = item_decide(actor=actor(acme, olivia), item=_item(campaign, "bob"), decision="revoke",
                          comment="already removed")  # fmt: skip
    assert decided.decision == Decision.REVOKE and decided.revoked is False
    assert not AuditEvent.objects.filter(event_type="role.unassigned").exists()
    assert AuditEvent.objects.get(event_type="access_review.item_revoked").details["removed"] is False
