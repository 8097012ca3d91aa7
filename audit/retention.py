"""Retention: purge a prefix of a chain older than the organisation's retention, keeping a verifiable anchor."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from accessctl.security import hipaa_mode
from audit.merkle import CompactRange
from audit.models import AuditEvent, AuditPolicy, PurgePermit
from audit.services import locked_head, record, sequence_chain

if TYPE_CHECKING:
    from accessctl.actor import Actor
    from accessctl.models import Organization

HIPAA_DOCUMENTATION_DAYS = 6 * 365  # 45 CFR 164.316(b)(2): keep documentation six years
BASELINE_RETENTION_DAYS = 365  # without HIPAA mode: a year of audit logs


def required_retention_days(organization: Organization) -> int:
    """The audit retention the checklist and the audit page both ask for: six years (2,190 days) in HIPAA mode."""
    return HIPAA_DOCUMENTATION_DAYS if hipaa_mode(organization) else BASELINE_RETENTION_DAYS


def retention_shortfall(organization: Organization, days: int) -> str | None:
    """Why `days` of audit retention fall short for this organisation (None when they do not)."""
    required = required_retention_days(organization)
    if days >= required:
        return None
    why = " (HIPAA mode: six years, 45 CFR 164.316(b)(2))" if required == HIPAA_DOCUMENTATION_DAYS else ""
    return f"Audit logs are kept {days} days: keep them at least {required:,}{why}."


MIN_RETENTION_DAYS = 30
MAX_RETENTION_DAYS = 36500


class RetentionRefused(Exception):
    """A purge is not allowed now (legal hold)."""


@dataclass(frozen=True)
class PurgeResult:
    purged: int
    through_seq: int


def policy_for(organization: Organization) -> AuditPolicy:
    policy, _ = AuditPolicy.objects.get_or_create(organization=organization)
    return policy


@transaction.atomic
def audit_policy_update(
    *, actor: Actor, log_retention_days: int, legal_hold: bool, legal_hold_reason: str = ""
) -> AuditPolicy:
    if not MIN_RETENTION_DAYS <= log_retention_days <= MAX_RETENTION_DAYS:
        raise ValueError(f"log_retention_days must be between {MIN_RETENTION_DAYS} and {MAX_RETENTION_DAYS}")
    if legal_hold and not legal_hold_reason.strip():
        raise ValueError("a legal hold needs a reason")
    policy = AuditPolicy.objects.select_for_update().get_or_create(organization=actor.organization)[0]
    before = {"log_retention_days": policy.log_retention_days, "legal_hold": policy.legal_hold}
    policy.log_retention_days = log_retention_days
    policy.legal_hold = legal_hold
    policy.legal_hold_reason = legal_hold_reason.strip() if legal_hold else ""
    policy.save()
    record(
        actor=actor,
        event_type="settings.changed",
        resource=f"audit-policy/{actor.organization.slug}",
        details={
            "before": before,
            "after": {"log_retention_days": log_retention_days, "legal_hold": legal_hold},
        },
    )
    return policy


def retention_purge(*, organization: Organization, minimum_days: int = 0) -> PurgeResult:
    """Delete the longest prefix of events all older than the retention period; audited; refused on hold.

    `minimum_days` is a floor the caller's policy sets (six years in HIPAA mode, 164.316(b)(2)): no event
    younger than that is purged, whatever the organisation's own retention setting says."""
    chain = organization.public_id
    policy = policy_for(organization)
    if policy.legal_hold:
        with transaction.atomic():
            record(
                actor=None,
                organization=organization,
                event_type="audit.retention.refused",
                outcome="denied",
                details={"reason": "legal_hold"},
            )
        raise RetentionRefused("a legal hold is set: nothing may be purged")
    sequence_chain(chain)
    cutoff = timezone.now() - timedelta(days=max(policy.log_retention_days, minimum_days))
    with transaction.atomic():
        head = locked_head(chain)
        sequenced = AuditEvent.objects.filter(chain=chain, seq__isnull=False)
        first_young = sequenced.filter(timestamp__gte=cutoff).order_by("seq").values_list("seq", flat=True).first()
        through = (first_young - 1) if first_young is not None else head.size
        if through <= head.anchor_seq:
            return PurgeResult(purged=0, through_seq=head.anchor_seq)
        frontier = CompactRange.from_json(head.anchor_frontier) if head.anchor_frontier else CompactRange()
        purged = sequenced.filter(seq__gt=head.anchor_seq, seq__lte=through).order_by("seq")
        last_hash = ""
        for leaf_hash, hash_ in purged.values_list("leaf_hash", "hash").iterator(chunk_size=20_000):
            frontier.append(bytes.fromhex(leaf_hash))
            last_hash = hash_
        permit = PurgePermit.objects.create(chain=chain)
        count, _ = AuditEvent.objects.filter(chain=chain, seq__lte=through).delete()
        permit.delete()
        head.anchor_seq = through
        head.anchor_hash = last_hash
        head.anchor_frontier = frontier.to_json()
        head.save(update_fields=["anchor_seq", "anchor_hash", "anchor_frontier", "updated_at"])
        record(
            actor=None,
            organization=organization,
            event_type="audit.retention.purged",
            details={"purged": count, "through_seq": through, "retention_days": policy.log_retention_days},
        )
    return PurgeResult(purged=count, through_seq=through)


def retention_days_set(actor: Actor, log_retention_days: int) -> AuditPolicy:
    """Change only the retention period (the security settings' `compliance.log_retention_days`); a legal
    hold stays as it is."""
    policy = policy_for(actor.organization)
    return audit_policy_update(
        actor=actor,
        log_retention_days=log_retention_days,
        legal_hold=policy.legal_hold,
        legal_hold_reason=policy.legal_hold_reason,
    )
