"""The compliance app's sections of the PDF/JSON/CSV compliance report (`reports.sections.register`): the BAAs
and the HIPAA checklist in HIPAA reports, the Trust Services Criteria in SOC 2 reports."""

from __future__ import annotations

from datetime import datetime

from accessctl.models import Organization
from audit.models import AuditEvent
from compliance.baa import expiring_soon, today
from compliance.checklist import ITEMS, STATUS_LABELS, evaluate, status_counts
from compliance.facts import facts_line
from compliance.models import IN_FORCE, BaaStatus, BusinessAssociateAgreement
from compliance.soc2 import CRITERIA, evaluate_soc2
from reports.sections import Section, Table, register


@register("baa", "Business Associate Agreements", ("hipaa",))
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


@register("checklist", "HIPAA compliance checklist", ("hipaa",))
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


@register("soc2", "SOC 2 Trust Services Criteria", ("soc2",))
def soc2_section(organization: Organization, start: datetime, end: datetime) -> Section:
    results = evaluate_soc2(organization)
    counts = {status: sum(r.status == status for r in results.values()) for status in STATUS_LABELS}
    figures: list[tuple[str, int | str]] = [("Criteria covered", len(CRITERIA))]
    figures += [(f"Criteria: {STATUS_LABELS[status].lower()}", counts[status]) for status in STATUS_LABELS]
    return Section(
        key="soc2",
        title="SOC 2 Trust Services Criteria",
        description="Each criterion evaluated from live state when the report was rendered: its status is the "
        "worst of the evidence behind it (the HIPAA checklist items it shares, and SOC 2 checks of change "
        "management, provisioning and incident triage). An auditor reads the second table for the evidence.",
        figures=figures,
        tables=[
            Table(
                title="Criteria",
                columns=("Criterion", "Title", "Status", "Why"),
                rows=[
                    (cid, r.criterion.title, STATUS_LABELS[r.status], "; ".join(r.reasons)[:300] or "-")
                    for cid, r in results.items()
                ],
            ),
            Table(
                title="Evidence behind each criterion",
                columns=("Criterion", "Evidence", "Status", "Facts"),
                rows=[
                    (cid, source.title, STATUS_LABELS[source.result.status], facts_line(source.result.facts))
                    for cid, r in results.items()
                    for source in r.sources
                ],
            ),
        ],
    )
