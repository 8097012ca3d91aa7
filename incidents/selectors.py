"""Reading incidents, alerts, assessments and deadlines: the caller's organisation only, after the policy."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet
from django.utils import timezone

from accessctl.policy import authorize, organization_resource
from accessctl.tenancy import tenant_get
from core.errors import NotFound
from incidents.deadlines import Deadline, deadlines
from incidents.models import Alert, Incident, Notice, RiskAssessment
from incidents.services import PERMISSION

if TYPE_CHECKING:
    from accessctl.actor import Actor

ALERT_LIST_LIMIT = 500


class NoticeNotFound(NotFound):
    """No such notice on this incident."""

    problem_detail = "No such notice."


def incident_list(*, actor: Actor, status: str | None = None) -> QuerySet[Incident]:
    authorize(actor, PERMISSION, organization_resource(actor))
    incidents = Incident.objects.filter(organization=actor.organization).select_related("owner")
    return incidents.filter(status=status) if status else incidents


def access_incident(*, actor: Actor, incident_id: str) -> Incident:
    """Fetch and authorise in one step, so no view can read an incident without the check."""
    return tenant_get(Incident.objects.select_related("owner"), actor, incident_id, PERMISSION)


def access_notice(*, incident: Incident, notice_id: str) -> Notice:
    notice = incident.notices.filter(public_id=notice_id).first()
    if notice is None:
        raise NoticeNotFound(notice_id)
    notice.incident = incident
    notice.organization = incident.organization
    return notice


def alert_list(*, actor: Actor, rule: str | None = None, severity: str | None = None) -> QuerySet[Alert]:
    authorize(actor, PERMISSION, organization_resource(actor))
    alerts = Alert.objects.filter(organization=actor.organization).select_related("incident")
    if rule:
        alerts = alerts.filter(rule=rule)
    if severity:
        alerts = alerts.filter(severity=severity)
    return alerts


def latest_assessment(incident: Incident) -> RiskAssessment | None:
    assessment = incident.assessments.order_by("-version").first()
    if assessment is not None:
        assessment.organization = incident.organization
    return assessment


def incident_deadlines(incident: Incident, assessment: RiskAssessment | None = None) -> list[Deadline]:
    assessment = assessment or latest_assessment(incident)
    if assessment is None:
        return []
    return deadlines(
        discovered=timezone.localtime(incident.discovered_at).date(),
        notifiable=assessment.notifiable,
        total_individuals=assessment.affected_individuals,
        by_jurisdiction=assessment.affected_by_jurisdiction,
    )


def deadline_rows(incident: Incident, today: date | None = None) -> list[dict[str, Any]]:
    """Each deadline with its countdown and whether the notification was recorded."""
    day = today or timezone.localdate()
    done = {(n.kind, n.jurisdiction): n for n in incident.notifications.all()}
    rows = []
    for deadline in incident_deadlines(incident):
        record = done.get((deadline.kind, deadline.jurisdiction))
        rows.append(
            {
                "deadline": deadline,
                "days_left": deadline.days_left(day),
                "days_overdue": max(-deadline.days_left(day), 0),
                "notified": record,
                "overdue": record is None and deadline.due_date < day,
            }
        )
    return rows


def next_open_deadline(incident: Incident, today: date | None = None) -> dict[str, Any] | None:
    """The earliest deadline not yet met, for the list's countdown."""
    pending = [row for row in deadline_rows(incident, today) if row["notified"] is None]
    return min(pending, key=lambda row: row["deadline"].due_date, default=None)
