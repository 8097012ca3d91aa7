"""Writes for access reviews: start a campaign (a snapshot of every active member's roles and live API keys),
decide an item keep or revoke (a revoke goes through accessctl's own services), sign a finished campaign off,
and change the schedule. Each writes its audit event in its transaction."""

from __future__ import annotations

from datetime import date, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from accessctl.actor import Actor
from accessctl.api_keys import api_key_revoke
from accessctl.extensions import record
from accessctl.models import ApiKey, Membership, Organization, RoleAssignment, User
from accessctl.policy import GrantDenied, PolicyDenied, authorize, is_allowed, organization_resource, refuse_grant
from accessctl.services import LastAdminError, role_unassign
from core.errors import FieldError, StateConflict
from reviews.models import Cadence, Campaign, CampaignStatus, Decision, Item, ItemKind, ReviewSchedule
from reviews.selectors import next_due_on, schedule_for

PERMISSION = "access:review"
MAX_REVIEW_DAYS = 90


class ReviewError(FieldError):
    """An access-review change refused as asked; `field` names the input."""


def campaign_start(*, actor: Actor | None, organization: Organization, name: str = "") -> Campaign:
    """Open a campaign listing every active member's roles and live API keys. By hand the actor needs
    `access:review`; no actor: the scheduler. A second open campaign is refused (409)."""
    if actor is not None:
        authorize(actor, PERMISSION, organization_resource(actor))
        organization = actor.organization
    name = name.strip() or f"Access review of {timezone.localdate().isoformat()}"
    if len(name) > 120:
        raise ReviewError("name", "Use at most 120 characters.")
    try:
        return _campaign_start(actor=actor, organization=organization, name=name)
    except IntegrityError:  # another start won the race to the one open campaign
        raise StateConflict("campaign", "An access review is already open; finish it first.") from None


@transaction.atomic
def _campaign_start(*, actor: Actor | None, organization: Organization, name: str) -> Campaign:
    if Campaign.objects.filter(organization=organization, status=CampaignStatus.OPEN).exists():
        raise StateConflict("campaign", "An access review is already open; finish it first.")
    schedule = schedule_for(organization)
    today = timezone.localdate()
    campaign = Campaign.objects.create(
        organization=organization,
        name=name,
        started_by=actor.user if actor is not None else None,
        due_on=today + timedelta(days=schedule.review_days),
    )
    items = _snapshot(organization, campaign)
    Item.objects.bulk_create(items)
    record(
        actor=actor,
        organization=organization,
        event_type="access_review.started",
        resource=campaign.resource,
        resource_id=campaign.public_id,
        details={
            "items": len(items),
            "members": len({item.subject_id for item in items}),
            "due_on": campaign.due_on.isoformat(),
            "by": "scheduler" if actor is None else "hand",
        },
    )
    return campaign


def _snapshot(organization: Organization, campaign: Campaign) -> list[Item]:
    active = Membership.objects.filter(organization=organization, is_active=True, user__is_active=True)
    user_ids = list(active.values_list("user_id", flat=True))
    items = [
        Item(organization=organization, campaign=campaign, subject_id=assignment.user_id, kind=ItemKind.ROLE,
             role=assignment.role, grant_name=assignment.role.name, permissions=sorted(assignment.role.permissions),
             granted_at=assignment.created_at)
        for assignment in RoleAssignment.objects.filter(organization=organization, user_id__in=user_ids)
        .select_related("role")
    ]  # fmt: skip
    now = timezone.now()
    keys = (
        ApiKey.objects.filter(organization=organization, user_id__in=user_ids, revoked_at__isnull=True)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        .select_related("role")
    )
    items += [
        Item(organization=organization, campaign=campaign, subject_id=key.user_id, kind=ItemKind.API_KEY,
             api_key=key, grant_name=key.name, key_prefix=key.prefix,
             permissions=sorted(key.role.permissions) if key.role else ["(all of its holder's roles)"],
             granted_at=key.created_at, last_used_at=key.last_used_at)
        for key in keys
    ]  # fmt: skip
    return items


def _require_reviewer(actor: Actor, campaign: Campaign) -> User:
    """The acting reviewer: holds `access:review` and, when the schedule names reviewers, is one of them."""
    authorize(actor, PERMISSION, campaign.resource)
    if actor.user is None:
        raise PolicyDenied(PERMISSION, campaign.resource)
    reviewers = schedule_for(campaign.organization).reviewers
    if reviewers.exists() and not reviewers.filter(pk=actor.user.pk).exists():
        refuse_grant(actor, PERMISSION, campaign.resource, "not_designated_reviewer",
                     "Only the organisation's designated reviewers review access.")  # fmt: skip
    return actor.user


def item_decide(*, actor: Actor, item: Item, decision: str, comment: str = "") -> Item:
    """Keep or revoke one grant. Nobody decides on their own access (403, audited). A revoke removes the role
    or revokes the key through accessctl's services, which refuse what the reviewer could not do by hand
    (a role above their own, the last org-admin): the item then stays undecided."""
    campaign = item.campaign
    reviewer = _require_reviewer(actor, campaign)
    if item.subject_id == reviewer.pk:
        refuse_grant(actor, PERMISSION, campaign.resource, "self_review",
                     "Nobody reviews their own access; another reviewer must decide this item.")  # fmt: skip
    if decision not in (Decision.KEEP, Decision.REVOKE):
        raise ReviewError("decision", "Choose keep or revoke.")
    comment = comment.strip()
    if len(comment) > 1000:
        raise ReviewError("comment", "Use at most 1000 characters.")
    if decision == Decision.REVOKE and len(comment) < 3:
        raise ReviewError("comment", "Say why the access is revoked.")
    refusal: GrantDenied | LastAdminError | None = None
    with transaction.atomic():
        locked = (
            Item.objects.select_for_update(of=("self",)).select_related("campaign", "role", "api_key").get(pk=item.pk)
        )
        if locked.campaign.status != CampaignStatus.OPEN:
            raise StateConflict("decision", "This access review is completed; its decisions are final.")
        if locked.decision != Decision.PENDING:
            raise StateConflict("decision", f"This item was already decided: {locked.decision}.")
        try:
            revoked = _revoke(actor, locked) if decision == Decision.REVOKE else False
        except (GrantDenied, LastAdminError) as exc:
            refusal = exc  # accessctl audited the refusal; nothing else changed, so that record commits
        else:
            locked.decision, locked.decided_by, locked.decided_at = decision, reviewer, timezone.now()
            locked.comment, locked.revoked = comment, revoked
            locked.save(update_fields=["decision", "decided_by", "decided_at", "comment", "revoked"])
            record(
                actor=actor,
                event_type=f"access_review.item_{'kept' if decision == Decision.KEEP else 'revoked'}",
                resource=campaign.resource,
                resource_id=locked.public_id,
                details={"user_id": locked.subject.public_id, "kind": locked.kind, "grant": locked.target,
                         "removed": revoked},
            )  # fmt: skip
    if refusal is not None:
        raise refusal
    return locked


def _revoke(actor: Actor, item: Item) -> bool:
    """Remove the grant; False when it was already gone (removed or revoked since the snapshot)."""
    if item.kind == ItemKind.ROLE:
        if item.role is None:
            return False
        return role_unassign(actor=actor, user=item.subject, role=item.role)
    if item.api_key is None or item.api_key.revoked_at is not None:
        return False
    api_key_revoke(actor=actor, key=item.api_key)
    return True


def campaign_sign_off(*, actor: Actor, campaign: Campaign, note: str = "") -> Campaign:
    """Complete a campaign whose every item is decided; the reviewer's sign-off is the evidence."""
    reviewer = _require_reviewer(actor, campaign)
    note = note.strip()
    if len(note) > 1000:
        raise ReviewError("note", "Use at most 1000 characters.")
    with transaction.atomic():
        locked = Campaign.objects.select_for_update().get(pk=campaign.pk)
        if locked.status != CampaignStatus.OPEN:
            raise StateConflict("campaign", "This access review is already completed.")
        decisions = list(locked.items.values_list("decision", flat=True))
        pending = decisions.count(Decision.PENDING)
        if pending:
            raise StateConflict("items", f"{pending} item(s) still need a keep or revoke decision.")
        locked.status, locked.completed_at = CampaignStatus.COMPLETED, timezone.now()
        locked.signed_off_by, locked.sign_off_note = reviewer, note
        locked.save(update_fields=["status", "completed_at", "signed_off_by", "sign_off_note"])
        record(
            actor=actor,
            event_type="access_review.completed",
            resource=locked.resource,
            resource_id=locked.public_id,
            details={"items": len(decisions), "kept": decisions.count(Decision.KEEP),
                     "revoked": decisions.count(Decision.REVOKE), "late": locked.due_on < timezone.localdate()},
        )  # fmt: skip
    return locked


def schedule_update(
    *,
    actor: Actor,
    cadence_days: int | None = None,
    review_days: int | None = None,
    auto_start: bool | None = None,
    reviewer_ids: list[str] | None = None,
) -> ReviewSchedule:
    """Change how often access is reviewed and by whom (`settings:manage`). Named reviewers must be active
    members who hold `access:review`; an empty list lets anyone holding it review."""
    authorize(actor, "settings:manage", organization_resource(actor))
    if cadence_days is not None and cadence_days not in Cadence.values:
        raise ReviewError("cadence_days", f"One of: {', '.join(str(v) for v in Cadence.values)}.")
    if review_days is not None and not 1 <= review_days <= MAX_REVIEW_DAYS:
        raise ReviewError("review_days", f"Between 1 and {MAX_REVIEW_DAYS} days.")
    reviewers = _reviewers(actor, reviewer_ids) if reviewer_ids is not None else None
    with transaction.atomic():
        schedule = ReviewSchedule.objects.select_for_update().get(pk=schedule_for(actor.organization).pk)
        before = _schedule_facts(schedule)
        if cadence_days is not None:
            schedule.cadence_days = cadence_days
        if review_days is not None:
            schedule.review_days = review_days
        if auto_start is not None:
            schedule.auto_start = auto_start
        schedule.save()
        if reviewers is not None:
            schedule.reviewers.set(reviewers)
        after = _schedule_facts(schedule)
        if after != before:
            record(
                actor=actor,
                event_type="access_review.schedule_updated",
                resource=organization_resource(actor),
                details={"before": before, "after": after},
            )
    return schedule


def _reviewers(actor: Actor, reviewer_ids: list[str]) -> list[User]:
    found: list[User] = []
    for public_id in dict.fromkeys(reviewer_ids):
        user = User.objects.filter(
            public_id=public_id, is_active=True, memberships__organization=actor.organization,
            memberships__is_active=True,
        ).first()  # fmt: skip
        if user is None:
            raise ReviewError("reviewer_ids", f"No active member {public_id} in this organisation.")
        if not is_allowed(Actor(organization=actor.organization, user=user), PERMISSION,
                          organization_resource(actor)):  # fmt: skip
            raise ReviewError("reviewer_ids", f"{user.username} does not hold the access:review permission.")
        found.append(user)
    return found


def _schedule_facts(schedule: ReviewSchedule) -> dict[str, object]:
    return {
        "cadence_days": schedule.cadence_days,
        "review_days": schedule.review_days,
        "auto_start": schedule.auto_start,
        "reviewers": sorted(schedule.reviewers.values_list("public_id", flat=True)) if schedule.pk else [],
    }


def campaigns_start_due(today: date | None = None) -> list[Campaign]:
    """The scheduler: in every organisation whose schedule starts campaigns, with members and no open
    campaign, start one when the cadence says it is due."""
    today = today or timezone.localdate()
    started = []
    for organization in Organization.objects.filter(memberships__is_active=True).distinct():
        schedule = schedule_for(organization)
        if not schedule.auto_start or Campaign.objects.filter(organization=organization, status="open").exists():
            continue
        if next_due_on(organization, schedule) <= today:
            try:
                started.append(campaign_start(actor=None, organization=organization))
            except StateConflict:
                continue
    return started


def campaigns_record_overdue(today: date | None = None) -> int:
    """Audit each open campaign once when it passes its due date (the checklist and dashboard show it live)."""
    today = today or timezone.localdate()
    late = 0
    for campaign in Campaign.objects.filter(status=CampaignStatus.OPEN, due_on__lt=today, overdue_recorded_at=None):
        with transaction.atomic():
            locked = Campaign.objects.select_for_update().get(pk=campaign.pk)
            if locked.overdue_recorded_at is not None or locked.status != CampaignStatus.OPEN:
                continue
            locked.overdue_recorded_at = timezone.now()
            locked.save(update_fields=["overdue_recorded_at"])
            pending = locked.items.filter(decision=Decision.PENDING).count()
            record(actor=None, organization=locked.organization, event_type="access_review.overdue",
                   resource=locked.resource, resource_id=locked.public_id,
                   details={"due_on": locked.due_on.isoformat(), "pending": pending})  # fmt: skip
            late += 1
    return late
