"""SOC 2: the AICPA Trust Services Criteria (2017, revised points of focus 2022) evaluated from the same live
evidence as the HIPAA checklist.

A criterion's status is the worst of its sources: the HIPAA checklist items that evidence it (evaluated once,
shared with the checklist) and SOC 2-only checks (change management, provisioning, and those other modules
register with `register_check`, e.g. incidents adds triage of security events to CC7.3). Every source is kept
beside the status so an auditor sees which evidence gave which answer. Reasons and facts are names, counts and
ids, never PHI."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from django.utils import timezone

from accessctl.models import ApiKey
from audit.models import ActorType, AuditEvent
from compliance.checklist import ITEMS, combine, evaluate
from compliance.evaluators import ItemResult, active_members, verdict

if TYPE_CHECKING:
    from accessctl.models import Organization

Check = Callable[["Organization", date], ItemResult]

FRAMEWORKS = {"hipaa": "HIPAA", "soc2": "SOC 2"}  # the checklist page and API show either

REVIEW_WINDOW_DAYS = 90  # the look-back of the change-management and provisioning checks
DORMANT_DAYS = 90  # an active member who has not signed in for this long should be reviewed
KEY_MAX_AGE_DAYS = 365  # an API key older than this without an expiry should be rotated
NAMES_SHOWN = 20

# Event types that change the system (CC8.1): each must name who made it.
CHANGE_PREFIXES: dict[str, tuple[str, ...]] = {
    "Deployments": ("deployment.created", "deployment.stop_requested"),
    "Security settings": ("settings.changed", "compliance.hipaa_mode"),
    "Roles and assignments": ("role.",),
    "API keys": ("api_key.created", "api_key.revoked"),
    "Encryption keys": ("encryption.key", "encryption.keys"),
    "Breach-detection thresholds": ("incident.thresholds_changed",),
    "Business associate agreements": ("baa.created", "baa.renewed"),
}


@dataclass(frozen=True)
class Criterion:
    id: str
    title: str
    summary: str
    checklist_items: tuple[str, ...] = ()  # HIPAA checklist items whose live evaluation evidences it
    checks: tuple[str, ...] = ()  # SOC 2-only checks by name (CHECKS)


@dataclass(frozen=True)
class SourceResult:
    source: str  # "checklist:access_controls" or "check:change_management"
    title: str
    result: ItemResult


@dataclass(frozen=True)
class CriterionResult:
    criterion: Criterion
    status: str
    reasons: list[str]
    sources: list[SourceResult]


def _window(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day - timedelta(days=REVIEW_WINDOW_DAYS), time.min))


def change_management(organization: Organization, day: date) -> ItemResult:
    """CC8.1: every change to deployments, settings, roles and keys in the window is in the audit log with the
    identity that made it (a user, an API key or a system task), never an anonymous request."""
    events = AuditEvent.objects.filter(organization=organization, timestamp__gte=_window(day))
    by_category: Counter[str] = Counter()
    unattributed: Counter[str] = Counter()
    for event_type, actor_type in events.values_list("event_type", "actor_type").iterator():
        category = next((name for name, prefixes in CHANGE_PREFIXES.items() if event_type.startswith(prefixes)), None)
        if category is None:
            continue
        by_category[category] += 1
        if actor_type == ActorType.ANONYMOUS:
            unattributed[category] += 1
    facts: dict[str, Any] = {
        "window_days": REVIEW_WINDOW_DAYS,
        "changes_recorded": dict(sorted(by_category.items())),
        "changes_total": sum(by_category.values()),
    }
    failures = [
        f"{count} change(s) to {category.lower()} in the last {REVIEW_WINDOW_DAYS} days name no actor."
        for category, count in sorted(unattributed.items())
    ]
    return verdict(failures, [], facts)


def provisioning(organization: Organization, day: date) -> ItemResult:
    """CC6.2: members and credentials are current: no dormant active member, no old API key without an expiry."""
    since = timezone.make_aware(datetime.combine(day - timedelta(days=DORMANT_DAYS), time.min))
    members = active_members(organization)
    dormant = sorted(m.user.username for m in members if m.user.last_login is None or m.user.last_login < since)
    key_cutoff = timezone.make_aware(datetime.combine(day - timedelta(days=KEY_MAX_AGE_DAYS), time.min))
    stale_keys = list(
        ApiKey.objects.filter(
            organization=organization, revoked_at__isnull=True, expires_at__isnull=True, created_at__lt=key_cutoff
        ).values_list("prefix", flat=True)
    )
    facts: dict[str, Any] = {
        "active_members": len(members),
        "dormant_members": dormant[:NAMES_SHOWN],
        "api_keys_without_expiry_over_a_year": len(stale_keys),
    }
    warnings = []
    if dormant:
        warnings.append(
            f"{len(dormant)} active member(s) have not signed in for {DORMANT_DAYS} days: review and deactivate "
            "those who left."
        )
    if stale_keys:
        warnings.append(f"{len(stale_keys)} API key(s) older than a year never expire: rotate them or set an expiry.")
    return verdict([], warnings, facts)


CHECKS: dict[str, tuple[str, Check]] = {
    "change_management": ("Changes recorded with who made them", change_management),
    "provisioning": ("Members and credentials are current", provisioning),
}
EXTRA_CHECKS: dict[str, list[tuple[str, str, Check]]] = {}  # criterion id -> [(name, title, check)]

CRITERIA: dict[str, Criterion] = {
    c.id: c
    for c in (
        Criterion("CC1.4", "Commitment to competence",
                  "The workforce is trained for its security responsibilities.", ("training",)),
        Criterion("CC2.2", "Internal communication of objectives and responsibilities",
                  "Policies and procedures are documented, current and reviewed.", ("documentation",)),
        Criterion("CC6.1", "Logical access security and encryption",
                  "Access needs an authenticated identity with MFA; data at rest is encrypted with managed keys.",
                  ("access_controls", "encryption", "hipaa_mode")),
        Criterion("CC6.2", "Registration and deregistration of users",
                  "Members and credentials are granted, reviewed and removed as people join and leave.",
                  checks=("provisioning",)),
        Criterion("CC6.3", "Role-based access and least privilege",
                  "Access follows roles; administrators are few.", ("access_controls",)),
        Criterion("CC6.6", "Boundary protection",
                  "Model runtimes are network isolated; PHI leaves only to covered business associates.",
                  ("network_security", "baa")),
        Criterion("CC6.7", "Protection of data in transmission",
                  "TLS 1.2+ on every connection; PHI is detected and handled before it leaves.",
                  ("encryption", "phi_protection")),
        Criterion("CC7.2", "Monitoring for anomalies",
                  "Every operation is in a tamper-evident audit log that verifies; PHI is detected in traffic.",
                  ("audit_logging", "phi_protection")),
        Criterion("CC7.3", "Evaluation of security events",
                  "Alerts are triaged into incidents and each incident's risk is assessed.", ("incident_response",)),
        Criterion("CC7.4", "Incident response",
                  "A breach procedure is on file and notifications meet their deadlines.", ("incident_response",)),
        Criterion("CC8.1", "Change management",
                  "Changes to deployments, settings, roles and keys are authorised and recorded.",
                  ("audit_logging",), ("change_management",)),
        Criterion("CC9.2", "Vendor and business partner risk",
                  "Every business associate that receives PHI is under an agreement in force.", ("baa",)),
        Criterion("C1.1", "Confidential information is identified and protected",
                  "PHI is detected in every prompt and answer and handled by the deployment's mode.",
                  ("phi_protection", "hipaa_mode")),
        Criterion("C1.2", "Retention and disposal of confidential information",
                  "Records are kept as long as required (six years in HIPAA mode) and no longer.",
                  ("audit_logging",)),
    )
}  # fmt: skip


def register_check(criterion_id: str, name: str, title: str, check: Check) -> None:
    """A module that owns the evidence (incidents, say) adds a check to a criterion."""
    if criterion_id not in CRITERIA:
        raise KeyError(f"no SOC 2 criterion {criterion_id}")
    extras = EXTRA_CHECKS.setdefault(criterion_id, [])
    if all(existing[0] != name for existing in extras):
        extras.append((name, title, check))


def evaluate_soc2(
    organization: Organization, day: date | None = None, checklist: dict[str, ItemResult] | None = None
) -> dict[str, CriterionResult]:
    """Every criterion with its status and sources; `checklist` reuses a HIPAA evaluation already made."""
    day = day or timezone.localdate()
    hipaa = checklist if checklist is not None else evaluate(organization, day)
    cache: dict[str, ItemResult] = {}
    results: dict[str, CriterionResult] = {}
    for criterion in CRITERIA.values():
        sources = [SourceResult(f"checklist:{key}", ITEMS[key].title, hipaa[key]) for key in criterion.checklist_items]
        named = [(name, *CHECKS[name]) for name in criterion.checks] + EXTRA_CHECKS.get(criterion.id, [])
        for name, title, check in named:
            if name not in cache:
                cache[name] = check(organization, day)
            sources.append(SourceResult(f"check:{name}", title, cache[name]))
        combined = combine([s.result for s in sources])
        results[criterion.id] = CriterionResult(criterion, combined.status, combined.reasons, sources)
    return results
