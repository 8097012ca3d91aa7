"""The HIPAA checklist: the seed's ten items, each with its citations and an evaluation from live state.

An item's status is the worst of its evaluator and any extra checks other modules register for it (an
incidents module, say, adds open-breach checks to `incident_response` with `register_check`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from django.utils import timezone

from compliance import evaluators, evaluators_evidence
from compliance.evaluators import ItemResult, Status
from compliance.models import EvidenceKind

if TYPE_CHECKING:
    from accessctl.models import Organization

__all__ = ["ITEMS", "ChecklistItem", "ItemResult", "Status", "evaluate", "evaluate_item", "register_check"]

STATUSES: tuple[Status, ...] = ("fail", "expiring", "not_evaluated", "pass")
SEVERITY: dict[str, int] = {"pass": 0, "not_evaluated": 1, "expiring": 2, "fail": 3}
STATUS_LABELS: dict[str, str] = {
    "pass": "Pass",
    "fail": "Fail",
    "expiring": "Expiring",
    "not_evaluated": "Not evaluated",
}


Evaluator = Callable[["Organization", date], ItemResult]


@dataclass(frozen=True)
class ChecklistItem:
    key: str
    title: str
    citations: tuple[str, ...]
    summary: str
    evaluate: Evaluator
    evidence_kinds: tuple[str, ...] = (EvidenceKind.OTHER,)


ITEMS: dict[str, ChecklistItem] = {
    item.key: item
    for item in (
        ChecklistItem(
            "baa",
            "Business Associate Agreement",
            ("164.308(b)(1)", "164.502(e)"),
            "Every deployment that sends PHI to a business associate is covered by a BAA in force with it.",
            evaluators.baa,
        ),
        ChecklistItem(
            "hipaa_mode",
            "HIPAA Mode",
            ("164.306",),
            "HIPAA mode is on, forcing MFA, PHI detection and network isolation.",
            evaluators.hipaa_mode,
        ),
        ChecklistItem(
            "network_security",
            "Network Security",
            ("164.312(e)(1)",),
            "Every live deployment is network isolated; AWS deployments use private endpoints.",
            evaluators.network_security,
        ),
        ChecklistItem(
            "access_controls",
            "Access Controls",
            ("164.312(a)(1)", "164.312(d)", "164.308(a)(4)"),
            "MFA required and enrolled by every member, short sessions, few administrators, access reviewed on time.",
            evaluators.access_controls,
        ),
        ChecklistItem(
            "encryption",
            "Encryption",
            ("164.312(a)(2)(iv)", "164.312(e)(2)(ii)"),
            "Active organisation keys rotated within a year; TLS 1.2+ in transit.",
            evaluators.encryption,
        ),
        ChecklistItem(
            "audit_logging",
            "Audit Logging",
            ("164.312(b)", "164.316(b)(2)"),
            "The tamper-evident audit chain verifies and is retained at least a year.",
            evaluators.audit_logging,
        ),
        ChecklistItem(
            "phi_protection",
            "PHI Protection",
            ("164.312(c)(1)", "164.514(b)"),
            "Every prompt and answer passes PHI detection.",
            evaluators.phi_protection,
        ),
        ChecklistItem(
            "incident_response",
            "Incident Response",
            ("164.308(a)(6)", "164.404-164.410"),
            "A current breach notification procedure is on file.",
            evaluators_evidence.incident_response,
            (EvidenceKind.BREACH_PROCEDURE, EvidenceKind.OTHER),
        ),
        ChecklistItem(
            "training",
            "Workforce Training",
            ("164.308(a)(5)",),
            "Every member has a current HIPAA security awareness training record.",
            evaluators_evidence.training,
            (EvidenceKind.TRAINING, EvidenceKind.OTHER),
        ),
        ChecklistItem(
            "documentation",
            "Documentation",
            ("164.316",),
            "Policies and procedures are documented and reviewed within a year.",
            evaluators_evidence.documentation,
            (EvidenceKind.POLICY, EvidenceKind.OTHER),
        ),
    )
}

# Further checks per item, registered by modules that own the live state (e.g. incidents).
EXTRA_CHECKS: dict[str, list[Evaluator]] = {}


def register_check(item_key: str, check: Evaluator) -> None:
    if item_key not in ITEMS:
        raise KeyError(f"no checklist item {item_key}")
    if check not in EXTRA_CHECKS.setdefault(item_key, []):
        EXTRA_CHECKS[item_key].append(check)


def combine(results: list[ItemResult]) -> ItemResult:
    """The worst status wins; reasons are kept in order and facts merged."""
    status = max((r.status for r in results), key=lambda s: SEVERITY[s])
    reasons = [reason for result in results for reason in result.reasons]
    facts: dict[str, Any] = {}
    for result in results:
        facts.update(result.facts)
    return ItemResult(status, reasons, facts)


def evaluate_item(key: str, organization: Organization, today: date | None = None) -> ItemResult:
    item = ITEMS[key]
    day = today or timezone.localdate()
    checks = [item.evaluate, *EXTRA_CHECKS.get(key, [])]
    return combine([check(organization, day) for check in checks])


def evaluate(organization: Organization, today: date | None = None) -> dict[str, ItemResult]:
    day = today or timezone.localdate()
    return {key: evaluate_item(key, organization, day) for key in ITEMS}


def status_counts(results: dict[str, ItemResult]) -> dict[str, int]:
    counts: dict[str, int] = dict.fromkeys(STATUSES, 0)
    for result in results.values():
        counts[result.status] += 1
    return counts
