"""Incident actions: each checks the policy first, then changes state and writes its audit event in one
transaction. `actor=None` is the detection worker (a system event on the organisation's chain)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone

from accessctl.actor import Actor
from accessctl.models import Membership, Organization, User
from accessctl.policy import authorize, is_allowed, organization_resource
from accessctl.selectors import active_member
from audit.models import AuditEvent
from audit.services import record
from core.errors import FieldError
from incidents.models import (
    SEVERITY_RANK,
    TRANSITIONS,
    Alert,
    DetectionThresholds,
    Incident,
    IncidentEvent,
    IncidentNote,
    Severity,
    Status,
)

if TYPE_CHECKING:
    from incidents.findings import Evidence

PERMISSION = "incident:manage"
MAX_NOTE_CHARS = 10_000
MAX_LINKED_PER_CALL = 200
THRESHOLD_LIMITS: dict[str, tuple[int, int]] = {
    "bulk_phi_count": (1, 1_000_000),
    "bulk_phi_window_minutes": (1, 1440),
    "denial_count": (1, 1_000_000),
    "denial_window_minutes": (1, 1440),
    "login_failure_count": (1, 1000),
    "login_window_minutes": (1, 1440),
}
_UNSET: Any = object()


def authorize_incident(
    actor: Actor | None, incident: Incident | None = None, organization: Organization | None = None
) -> None:
    """The policy check, before any transaction opens (a refusal's audit event must not roll back)."""
    if actor is None:
        return
    if incident is not None and incident.organization_id != actor.organization.pk:
        raise ValueError("incident of another organisation")
    resource = incident.resource if incident is not None else organization_resource(actor)
    authorize(actor, PERMISSION, resource)


def record_event(actor: Actor | None, incident: Incident, event_type: str, details: Mapping[str, Any]) -> None:
    record(
        actor=actor,
        organization=incident.organization,
        event_type=event_type,
        resource=incident.resource,
        resource_id=incident.public_id,
        details={"incident_id": incident.public_id, **details},
    )


def thresholds_for(organization: Organization) -> DetectionThresholds:
    return DetectionThresholds.objects.get_or_create(organization=organization)[0]


def thresholds_update(*, actor: Actor, values: Mapping[str, int]) -> DetectionThresholds:
    authorize_incident(actor)
    for name, value in values.items():
        if name not in THRESHOLD_LIMITS:
            raise FieldError(name, "Unknown threshold.")
        low, high = THRESHOLD_LIMITS[name]
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise FieldError(name, f"Must be a whole number from {low} to {high}.")
    with transaction.atomic():
        current = thresholds_for(actor.organization)
        changed = {name: value for name, value in values.items() if getattr(current, name) != value}
        if changed:
            for name, value in changed.items():
                setattr(current, name, value)
            current.save()
            record(
                actor=actor,
                event_type="incident.thresholds_changed",
                resource=organization_resource(actor),
                details={"changed": changed},
            )
    return current


def incident_open(
    *,
    actor: Actor | None,
    organization: Organization,
    title: str,
    severity: str = Severity.MEDIUM,
    discovered_at: datetime | None = None,
    owner: User | None = None,
    source: str = "manual",
) -> Incident:
    if actor is not None and actor.organization.pk != organization.pk:
        raise ValueError("actor of another organisation")
    authorize_incident(actor)
    title = (title or "").strip()
    if not title:
        raise FieldError("title", "Say briefly what happened (without PHI).")
    if len(title) > 200:
        raise FieldError("title", "At most 200 characters.")
    if severity not in Severity.values:
        raise FieldError("severity", f"Choose one of: {', '.join(Severity.values)}.")
    now = timezone.now()
    if discovered_at is not None and discovered_at > now:
        raise FieldError("discovered_at", "The discovery time cannot be in the future.")
    if owner is not None:
        _check_owner(organization, owner)
    with transaction.atomic():
        incident = Incident.objects.create(
            organization=organization,
            title=title,
            severity=severity,
            discovered_at=discovered_at or now,
            owner=owner,
            source=source,
            created_by=actor.user if actor is not None else None,
        )
        record_event(
            actor,
            incident,
            "incident.opened",
            {"severity": severity, "source": source, "owner_id": owner.public_id if owner else None},
        )
    return incident


def _check_owner(organization: Organization, owner: User) -> None:
    if not Membership.objects.filter(organization=organization, user=owner, is_active=True).exists():
        raise FieldError("owner_id", "No such member in this organisation.")
    if not is_allowed(Actor(organization=organization, user=owner), PERMISSION, organization_resource_of(organization)):
        raise FieldError("owner_id", f"{owner.username} may not manage incidents ({PERMISSION}).")


def organization_resource_of(organization: Organization) -> str:
    return f"organization/{organization.slug}"


def member_by_public_id(organization: Organization, user_id: str) -> User:
    user = active_member(organization, user_id)
    if user is None:
        raise FieldError("owner_id", "No such member in this organisation.")
    return user


def incident_update(
    *, actor: Actor, incident: Incident, status: str | None = None, owner: Any = _UNSET, severity: str | None = None
) -> Incident:
    """Move the status along TRANSITIONS, (re)assign or clear the owner, change the severity."""
    authorize_incident(actor, incident)
    if status is not None and status not in Status.values:
        raise FieldError("status", f"Choose one of: {', '.join(Status.values)}.")
    if severity is not None and severity not in Severity.values:
        raise FieldError("severity", f"Choose one of: {', '.join(Severity.values)}.")
    if owner is not _UNSET and owner is not None:
        _check_owner(incident.organization, owner)
    with transaction.atomic():
        locked = Incident.objects.select_for_update().get(pk=incident.pk)
        if status is not None and status != locked.status:
            if status not in TRANSITIONS[locked.status]:
                allowed = ", ".join(sorted(TRANSITIONS[locked.status])) or "none (final)"
                raise FieldError(
                    "status", f"An incident that is {locked.status} cannot become {status}; allowed: {allowed}."
                )
            record_event(actor, locked, "incident.status_changed", {"from": locked.status, "to": status})
            locked.status = status
        if severity is not None and severity != locked.severity:
            record_event(actor, locked, "incident.severity_changed", {"from": locked.severity, "to": severity})
            locked.severity = severity
        if owner is not _UNSET and owner != locked.owner:
            record_event(actor, locked, "incident.owner_assigned", {"owner_id": owner.public_id if owner else None})
            locked.owner = owner
        locked.save()
    return locked


def note_add(*, actor: Actor, incident: Incident, text: str) -> IncidentNote:
    authorize_incident(actor, incident)
    text = (text or "").strip()
    if not text:
        raise FieldError("text", "Write the note.")
    if len(text) > MAX_NOTE_CHARS:
        raise FieldError("text", f"At most {MAX_NOTE_CHARS} characters.")
    with transaction.atomic():
        note = IncidentNote.objects.create(
            organization=incident.organization, incident=incident, author=actor.user, text=text
        )
        record_event(actor, incident, "incident.note_added", {"note_id": note.public_id})
    return note


def link_events(incident: Incident, rows: Iterable[Evidence]) -> int:
    """Put audit events on the timeline (no audit event of its own: the caller writes one)."""
    existing = set(incident.timeline.values_list("event_id", flat=True))
    new = [
        IncidentEvent(incident=incident, event_id=event_id, seq=seq, event_type=event_type, timestamp=timestamp)
        for event_id, seq, event_type, timestamp in rows
        if event_id not in existing
    ][:MAX_LINKED_PER_CALL]
    IncidentEvent.objects.bulk_create(new, ignore_conflicts=True)
    return len(new)


def events_attach(*, actor: Actor, incident: Incident, event_ids: list[str]) -> int:
    """Attach audit events of the incident's organisation to its timeline; returns how many were new."""
    authorize_incident(actor, incident)
    wanted = list(dict.fromkeys(event_ids))[:MAX_LINKED_PER_CALL]
    rows = list(
        AuditEvent.objects.filter(chain=incident.organization.public_id, event_id__in=wanted).values_list(
            "event_id", "seq", "event_type", "timestamp"
        )
    )
    missing = sorted(set(wanted) - {row[0] for row in rows})
    if missing:
        raise FieldError("event_ids", f"No such audit events in this organisation: {', '.join(missing[:5])}.")
    with transaction.atomic():
        added = link_events(incident, rows)
        record_event(actor, incident, "incident.events_attached", {"count": added, "event_ids": wanted[:20]})
    return added


def alert_attach(*, actor: Actor | None, incident: Incident, alert: Alert, evidence: Iterable[Evidence] = ()) -> Alert:
    """Attach an alert (and its evidence) to an incident; the incident's severity rises to the alert's."""
    authorize_incident(actor, incident)
    if alert.organization_id != incident.organization_id:
        raise ValueError("alert of another organisation")
    with transaction.atomic():
        alert.incident = incident
        alert.save(update_fields=["incident", "updated_at"])
        linked = link_events(incident, evidence)
        if SEVERITY_RANK[alert.severity] > SEVERITY_RANK[incident.severity]:
            record_event(
                actor, incident, "incident.severity_changed", {"from": incident.severity, "to": alert.severity}
            )
            incident.severity = alert.severity
            incident.save(update_fields=["severity", "updated_at"])
        record_event(
            actor,
            incident,
            "incident.alert_attached",
            {"alert_id": alert.public_id, "rule": alert.rule, "severity": alert.severity, "events_linked": linked},
        )
    return alert
