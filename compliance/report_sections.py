"""The compliance app's sections of the PDF/JSON/CSV compliance report (`reports.sections.register`)."""

from __future__ import annotations

from datetime import datetime

from accessctl.models import Organization
from audit.models import AuditEvent
from compliance.baa import expiring_soon, today
from compliance.checklist import ITEMS, STATUS_LABELS, evaluate, status_counts
from compliance.models import IN_FORCE, BaaStatus, BusinessAssociateAgreement
from reports.sections import Section, Table, register


@register("baa", "Business Associate Agreements")
def baa_section(organization: Organization, start: datetime, end: datetime) -> Section:
    agreements = list(BusinessAssociateAgreement.objects.filter(organization=organization).order_by("expiry_date"))
    day = today()
    in_force = sorted(
        f"{a.counterparty} ({a.business_associate})"
        for a in agreements
        if a.status in IN_FORCE and a.effective_date <= day < a.expiry_date
    )
    changes = AuditEvent.objects.filter(
        chain=organization.public_id, event_type__startswith="baa.", timestamp__gte=start, timestamp__lt=end
    ).count()
    return Section(
        key="baa",
        title="Business Associate Agreements",
        description="Agreements under 45 CFR 164.502(e) and 164.504(e): which is in force, which expire soon, "
        "and the lifecycle events of the period.",
        figures=[
            ("BAAs in force (business associate)", ", ".join(in_force) or "none"),
            ("Agreements on file", len(agreements)),
            ("Expiring within 60 days", len(expiring_soon(organization))),
            ("Expired or terminated", sum(a.status in {BaaStatus.EXPIRED, BaaStatus.TERMINATED} for a in agreements)),
            ("BAA events in the period", changes),
        ],
        tables=[
            Table(
                title="Agreements",
                columns=("Agreement", "Counterparty", "Business associate", "Status", "Effective", "Expires",
                         "Signed document (SHA-256)"),
                rows=[
                    (a.public_id, a.counterparty, a.business_associate, a.status, a.effective_date.isoformat(),
                     a.expiry_date.isoformat(), a.document_sha256[:16] or "none")
                    for a in agreements
                ],
            )
        ],
    )  # fmt: skip


@register("checklist", "HIPAA compliance checklist")
def checklist_section(organization: Organization, start: datetime, end: datetime) -> Section:

    results = evaluate(organization)
    counts = status_counts(results)
    return Section(
        key="checklist",
        title="HIPAA compliance checklist",
        description="The ten items evaluated from live state when the report was rendered, each with its "
        "HIPAA citation and, where it does not pass, why.",
        figures=[(STATUS_LABELS[status], counts[status]) for status in ("pass", "fail", "expiring", "not_evaluated")],
        tables=[
            Table(
                title="Items",
                columns=("Item", "Citation", "Status", "Why"),
                rows=[
                    (ITEMS[key].title, ", ".join(ITEMS[key].citations), STATUS_LABELS[result.status],
                     "; ".join(result.reasons)[:300] or "-")
                    for key, result in results.items()
                ],
            )
        ],
    )  # fmt: skip
