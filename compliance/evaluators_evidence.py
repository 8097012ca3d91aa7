"""Evaluators of the evidence-backed items: incident response, training and documentation.

An item passes on current evidence (not revoked, in effect today); reasons name titles and members' user names."""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from django.db.models import Q

from compliance.evaluators import NAMES_SHOWN, WARNING_DAYS, YEAR_DAYS, ItemResult, active_members, verdict
from compliance.models import ChecklistEvidence, EvidenceKind

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from accessctl.models import Organization


def current_evidence(organization: Organization, kind: str, day: date) -> QuerySet[ChecklistEvidence]:
    """Unrevoked evidence of `kind` in effect on `day` (an expiry date is the first day it no longer counts)."""
    return (
        ChecklistEvidence.objects.filter(
            organization=organization, kind=kind, revoked_at__isnull=True, effective_date__lte=day
        )
        .filter(Q(expiry_date__isnull=True) | Q(expiry_date__gt=day))
        .defer("file")
    )


def _document(
    organization: Organization, day: date, kind: str, what: str, *, reviewed_within: int | None = None
) -> ItemResult:
    documents = list(current_evidence(organization, kind, day).order_by("-effective_date", "-created_at"))
    if not documents:
        lapsed = (
            ChecklistEvidence.objects.filter(
                organization=organization, kind=kind, revoked_at__isnull=True, expiry_date__lte=day
            )
            .order_by("-expiry_date")
            .first()
        )
        reasons = [f"No current {what} is on file: upload it as evidence."]
        if lapsed is not None and lapsed.expiry_date is not None:
            reasons.append(f"“{lapsed.title}” expired on {lapsed.expiry_date.isoformat()}.")
        return ItemResult("fail", reasons, {"current_documents": 0})
    latest = documents[0]
    last_expiry = max((d.expiry_date for d in documents if d.expiry_date), default=None)
    facts: dict[str, Any] = {
        "current_documents": len(documents),
        "document": latest.title,
        "evidence_id": latest.public_id,
        "effective_date": latest.effective_date.isoformat(),
        "expiry_date": last_expiry.isoformat() if last_expiry else None,
    }
    failures, warnings = [], []
    if reviewed_within is not None:
        age = (day - latest.effective_date).days
        if age > reviewed_within:
            failures.append(f"The {what} was last reviewed on {latest.effective_date.isoformat()}, over a year ago.")
        elif age > reviewed_within - WARNING_DAYS:
            warnings.append(f"The {what} is due for its yearly review within {reviewed_within - age} days.")
    if last_expiry is not None and (last_expiry - day).days <= WARNING_DAYS:
        warnings.append(f"The {what} expires on {last_expiry.isoformat()}: upload the reviewed version.")
    return verdict(failures, warnings, facts)


def incident_response(organization: Organization, day: date) -> ItemResult:
    return _document(organization, day, EvidenceKind.BREACH_PROCEDURE, "breach notification procedure")


def documentation(organization: Organization, day: date) -> ItemResult:
    return _document(
        organization, day, EvidenceKind.POLICY, "policies and procedures document", reviewed_within=YEAR_DAYS
    )


def training(organization: Organization, day: date) -> ItemResult:
    members = active_members(organization)
    expiry: dict[int, date] = {}
    far = day + timedelta(days=100 * YEAR_DAYS)
    records = current_evidence(organization, EvidenceKind.TRAINING, day).filter(
        subject_user_id__in=[m.user_id for m in members]
    )
    for user_id, expires in records.values_list("subject_user_id", "expiry_date"):
        expiry[user_id] = max(expiry.get(user_id, day), expires or far)
    untrained = [m.user.username for m in members if m.user_id not in expiry]
    soon = [m.user.username for m in members if m.user_id in expiry and (expiry[m.user_id] - day).days <= WARNING_DAYS]
    facts: dict[str, Any] = {"members": len(members), "members_trained": len(members) - len(untrained)}
    failures, warnings = [], []
    if untrained:
        facts["members_without_training"] = untrained[:NAMES_SHOWN]
        failures.append(f"{len(untrained)} of {len(members)} active members have no current training record.")
    if soon:
        facts["training_expiring"] = soon[:NAMES_SHOWN]
        warnings.append(f"{len(soon)} member(s)' training expires within {WARNING_DAYS} days.")
    return verdict(failures, warnings, facts)
