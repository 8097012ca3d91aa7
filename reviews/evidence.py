"""The access-review evidence behind the checklist's Access Controls item (164.308(a)(4)):
the latest completed review must be within the organisation's cadence, and no open review may be overdue."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from django.utils import timezone

from compliance.evaluators import ItemResult, verdict
from reviews.models import Campaign, CampaignStatus, Decision
from reviews.selectors import latest_completed, schedule_for

if TYPE_CHECKING:
    from accessctl.models import Organization

WHERE = "Access → Access reviews"


def access_review_current(organization: Organization, day: date) -> ItemResult:
    schedule = schedule_for(organization)
    cadence = schedule.cadence_days
    last = latest_completed(organization)
    open_ = Campaign.objects.filter(organization=organization, status=CampaignStatus.OPEN).first()
    facts: dict[str, Any] = {"access_review_cadence_days": cadence}
    failures: list[str] = []
    warnings: list[str] = []
    if open_ is not None:
        pending = open_.items.filter(decision=Decision.PENDING).count()
        facts.update({"access_review_open": open_.public_id, "access_review_due_on": open_.due_on.isoformat(),
                      "access_review_pending_items": pending})  # fmt: skip
        if open_.is_overdue(day):
            failures.append(f"Access review “{open_.name}” was due on {open_.due_on.isoformat()} and is not "
                            f"signed off ({pending} item(s) undecided): finish it under {WHERE}.")  # fmt: skip
    if last is None or last.completed_at is None:
        if open_ is None or not failures:
            (warnings if open_ is not None else failures).append(
                "No access review has been completed yet (164.308(a)(4))"
                + (f": finish the open one by {open_.due_on.isoformat()}." if open_ else f": start one under {WHERE}.")
            )
        return verdict(failures, warnings, facts)
    completed_on = timezone.localdate(last.completed_at)
    age = (day - completed_on).days
    facts.update({"access_review_last": last.public_id, "access_review_completed_on": completed_on.isoformat(),
                  "access_review_signed_off_by": last.signed_off_by.username if last.signed_off_by else None,
                  "access_review_revoked": getattr(last, "revoked_count", 0)})  # fmt: skip
    if age > cadence + schedule.review_days:
        failures.append(f"The last access review was completed on {completed_on.isoformat()}, {age} days ago; "
                        f"the schedule asks for one every {cadence} days.")  # fmt: skip
    elif age > cadence and not failures:
        warnings.append(f"An access review is due: the last was completed on {completed_on.isoformat()} "
                        f"({age} days ago, every {cadence} days).")  # fmt: skip
    return verdict(failures, warnings, facts)
