"""Reading reports: always inside the caller's organisation, always through the policy check."""

from __future__ import annotations

from typing import TYPE_CHECKING

from accessctl.policy import authorize, is_allowed
from core.errors import NotFound
from reports.models import ComplianceReport, ReportType

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from accessctl.actor import Actor


class ReportNotFound(NotFound):
    """No such report in the caller's organisation (another organisation's reports do not exist here)."""

    problem_detail = "No such report."


def access_report(*, actor: Actor, report_id: str, permission: str = "report:read") -> ComplianceReport:
    """Fetch and authorise in one call. The check runs even when the id is unknown, so a caller lacking the
    permission learns nothing about which ids exist (403 either way; 404 only for those allowed)."""
    report = (
        ComplianceReport.objects.select_related("organization", "requested_by")
        .filter(organization=actor.organization, public_id=report_id)
        .first()
    )
    authorize(actor, permission, report.resource if report is not None else f"report/{ReportType.HIPAA}")
    if report is None:
        raise ReportNotFound(report_id)
    return report


def report_list(*, actor: Actor) -> QuerySet[ComplianceReport]:
    """The organisation's reports of the types the actor may read (newest first), without their contents."""
    readable = [kind for kind in ReportType.values if is_allowed(actor, "report:read", f"report/{kind}")]
    if not readable:
        authorize(actor, "report:read", f"report/{ReportType.HIPAA}")  # refuses, and audits the refusal
    return (
        ComplianceReport.objects.filter(organization=actor.organization, report_type__in=readable)
        .select_related("requested_by")
        .defer("content")
    )
