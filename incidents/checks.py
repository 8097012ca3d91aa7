"""Live incident checks: on the HIPAA checklist, no notifiable breach past a deadline without its notification;
for SOC 2 (CC7.3), every active incident assessed within a week."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from django.utils import timezone

from compliance.evaluators import ItemResult
from incidents.models import ACTIVE_STATUSES, Alert, Incident
from incidents.selectors import deadline_rows

if TYPE_CHECKING:
    from accessctl.models import Organization

DUE_SOON = timedelta(days=7)


def notifications_on_time(organization: Organization, day: date) -> ItemResult:
    """Fail while a required breach notification is overdue and unrecorded; expiring when one is due within
    a week (45 CFR 164.404(b), 164.406(b), 164.408)."""
    overdue: list[str] = []
    soon: list[str] = []
    notifiable = 0
    assessed = Incident.objects.filter(organization=organization, assessments__isnull=False).distinct()
    for incident in assessed.prefetch_related("notifications"):
        incident.organization = organization
        rows = deadline_rows(incident, day)
        notifiable += bool(rows)
        for row in rows:
            if row["notified"] is not None:
                continue
            deadline = row["deadline"]
            label = (
                f"{incident.public_id} {deadline.kind}{' ' + deadline.jurisdiction if deadline.jurisdiction else ''}"
            )
            if deadline.due_date < day:
                overdue.append(f"{label} (due {deadline.due_date.isoformat()})")
            elif deadline.due_date - day <= DUE_SOON:
                soon.append(f"{label} (due {deadline.due_date.isoformat()})")
    facts: dict[str, Any] = {
        "notifiable_breaches": notifiable,
        "notifications_overdue": len(overdue),
        "notifications_due_within_7_days": len(soon),
    }
    if overdue:
        return ItemResult(
            "fail", [f"Breach notification past its deadline without a record: {', '.join(overdue)}."], facts
        )
    if soon:
        return ItemResult("expiring", [f"Breach notification due within a week: {', '.join(soon)}."], facts)
    return ItemResult("pass", [], facts)


TRIAGE_DAYS = 7  # an active incident should have its four-factor risk assessment within a week
SOC2_WINDOW_DAYS = 90


def incidents_triaged(organization: Organization, day: date) -> ItemResult:
    """SOC 2 CC7.3: security events are evaluated: alerts become incidents and every active incident older
    than a week has a risk assessment (45 CFR 164.402(2))."""
    since = timezone.make_aware(datetime.combine(day - timedelta(days=SOC2_WINDOW_DAYS), time.min))
    overdue_before = timezone.make_aware(datetime.combine(day - timedelta(days=TRIAGE_DAYS), time.min))
    incidents = Incident.objects.filter(organization=organization)
    unassessed = list(
        incidents.filter(status__in=ACTIVE_STATUSES, assessments__isnull=True, discovered_at__lt=overdue_before)
        .order_by("discovered_at")
        .values_list("public_id", flat=True)
    )
    facts: dict[str, Any] = {
        "window_days": SOC2_WINDOW_DAYS,
        "alerts": Alert.objects.filter(organization=organization, created_at__gte=since).count(),
        "incidents_opened": incidents.filter(discovered_at__gte=since).count(),
        "incidents_assessed": incidents.filter(discovered_at__gte=since, assessments__isnull=False).distinct().count(),
        "active_incidents_without_assessment_after_a_week": unassessed[:20],
    }
    if unassessed:
        return ItemResult(
            "fail",
            [f"{len(unassessed)} active incident(s) open over {TRIAGE_DAYS} days without a risk assessment."],
            facts,
        )
    return ItemResult("pass", [], facts)
