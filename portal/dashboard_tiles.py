"""Dashboard tiles beyond members and status: open incidents with their next notification deadline,
deployments by state, and access reviews (an overdue one first). Each tile is shown only to those who may open
what it links to."""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.utils import timezone

from accessctl.actor import Actor
from accessctl.policy import is_allowed, organization_resource
from deployments.models import Deployment, State
from deployments.views import may_somewhere
from incidents.models import ACTIVE_STATUSES, SEVERITY_RANK, Incident
from incidents.selectors import next_open_deadline
from reviews.selectors import latest_completed, next_due_on, open_campaign

INCIDENTS_SHOWN = 5


def incidents_tile(actor: Actor) -> dict[str, Any] | None:
    """Active incidents, most urgent first (an overdue or nearest deadline, then severity)."""
    if not is_allowed(actor, "incident:manage", organization_resource(actor)):
        return None
    today = timezone.localdate()
    active = list(
        Incident.objects.filter(organization=actor.organization, status__in=ACTIVE_STATUSES).prefetch_related(
            "notifications"
        )
    )
    rows: list[dict[str, Any]] = []
    for incident in active:
        incident.organization = actor.organization
        deadline = next_open_deadline(incident, today)
        days = int(deadline["days_left"]) if deadline else 10**6
        rows.append({"incident": incident, "deadline": deadline, "days": days})
    rows.sort(key=lambda row: (row["days"], -SEVERITY_RANK.get(row["incident"].severity, 0)))
    overdue = len([row for row in rows if row["days"] < 0])
    return {"count": len(rows), "overdue": overdue, "rows": rows[:INCIDENTS_SHOWN]}


def deployments_tile(actor: Actor) -> dict[str, Any] | None:
    """How many deployments are in each state (stopped ones counted apart)."""
    if not may_somewhere(actor, "deployment:read"):
        return None
    states = Counter(Deployment.objects.filter(organization=actor.organization).values_list("state", flat=True))
    order = (State.READY, State.PROVISIONING, State.PENDING, State.UPDATING, State.FAILED, State.STOPPING,
             State.STOPPED)  # fmt: skip
    known = [(state.label, states[state.value], state.value) for state in order if states[state.value]]
    return {"by_state": known, "live": states.get(State.READY.value, 0), "total": sum(states.values())}


def access_reviews_tile(actor: Actor) -> dict[str, Any] | None:
    """The open access review (overdue or not, with its undecided items), else the last completed one and when
    the next is due."""
    if not is_allowed(actor, "access:review", organization_resource(actor)):
        return None
    today = timezone.localdate()
    current = open_campaign(actor.organization)
    last = latest_completed(actor.organization)
    next_due = next_due_on(actor.organization)
    if current is not None:
        state = "overdue" if current.is_overdue(today) else "open"
    else:
        state = "due" if next_due <= today else "current"
    days_overdue = (today - current.due_on).days if current is not None and state == "overdue" else 0
    return {"state": state, "open": current, "last": last, "next_due": next_due, "days_overdue": days_overdue}
