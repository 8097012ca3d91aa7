"""The checklist's live incident-response check: no notifiable breach past a deadline without its notification."""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from compliance.evaluators import ItemResult
from incidents.models import Incident
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
