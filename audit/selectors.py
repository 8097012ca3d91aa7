"""Reading the audit log, always inside the caller's organisation's chain."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet

from audit.investigate import event_type_query
from audit.models import AuditEvent, ChainHead

if TYPE_CHECKING:
    from accessctl.actor import Actor


@dataclass(frozen=True)
class AuditFilters:
    start_time: datetime | None = None
    end_time: datetime | None = None
    deployment_id: str | None = None
    event_types: list[str] = field(default_factory=list)
    user_id: str | None = None
    outcome: str | None = None
    resource: str | None = None
    event_patterns: list[str] = field(default_factory=list)  # auth.* or auth.login: a family of event types
    none: bool = False  # the filters could not be applied (a bad value): nothing matches, never everything


def audit_event_list(*, actor: Actor, filters: AuditFilters) -> QuerySet[AuditEvent]:
    events = AuditEvent.objects.filter(chain=actor.organization.public_id)
    if filters.start_time is not None:
        events = events.filter(timestamp__gte=filters.start_time)
    if filters.end_time is not None:
        events = events.filter(timestamp__lte=filters.end_time)
    if filters.deployment_id:
        events = events.filter(resource_id=filters.deployment_id, resource__startswith="deployment/")
    if filters.event_types:
        events = events.filter(event_type__in=filters.event_types)
    if filters.user_id:
        events = events.filter(user_id=filters.user_id)
    if filters.outcome:
        events = events.filter(outcome=filters.outcome)
    if filters.resource:
        events = events.filter(resource=filters.resource)
    if filters.event_patterns:
        events = events.filter(event_type_query(filters.event_patterns))
    if filters.none:
        events = events.none()
    return events


def user_events(*, actor: Actor, user_id: str) -> QuerySet[AuditEvent]:
    """Events the user caused or that are about them (their public id as the resource id), newest first."""
    events = AuditEvent.objects.filter(chain=actor.organization.public_id)
    return events.filter(Q(user_id=user_id) | Q(resource_id=user_id)).order_by("-id")


def audit_event_get(*, actor: Actor, event_id: str) -> AuditEvent | None:
    return AuditEvent.objects.filter(chain=actor.organization.public_id, event_id=event_id).first()


@dataclass(frozen=True)
class SequencerLag:
    pending: int
    oldest_pending: datetime | None
    size: int


def sequencer_lag(*, actor: Actor) -> SequencerLag:
    chain = actor.organization.public_id
    pending = AuditEvent.objects.filter(chain=chain, seq__isnull=True)
    oldest = pending.order_by("id").values_list("timestamp", flat=True).first()
    head = ChainHead.objects.filter(chain=chain).first()
    return SequencerLag(pending=pending.count(), oldest_pending=oldest, size=head.size if head else 0)
