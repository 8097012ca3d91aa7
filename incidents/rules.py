"""The detection rules: each reads a `Scan` (an organisation, its thresholds and the audit seq range not yet
scanned) and returns `Finding`s. Counting is done by aggregate queries; only the events of actors already over
a threshold are read, and only around the new range."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, Min, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from accessctl.models import Organization
from audit.models import ActorType, AuditEvent
from incidents import periodic
from incidents.findings import Evidence, Finding, verification_finding
from incidents.models import DetectionThresholds, Rule

MAX_EVIDENCE = 100
IP_RESTRICTION_WINDOW = timedelta(minutes=60)
BREAK_GLASS_TYPES = ("emergency_access.granted", "emergency_access.used")
ACTING = (ActorType.USER, ActorType.API_KEY)
EVIDENCE_FIELDS = ("event_id", "seq", "event_type", "timestamp")


@dataclass(frozen=True)
class Scan:
    organization: Organization
    chain: str
    after_seq: int  # exclusive
    last_seq: int  # inclusive
    thresholds: DetectionThresholds

    def new_events(self) -> QuerySet[AuditEvent]:
        return AuditEvent.objects.filter(chain=self.chain, seq__gt=self.after_seq, seq__lte=self.last_seq)

    def known_events(self) -> QuerySet[AuditEvent]:
        """Every sequenced event up to the end of the range: the look-back of the windowed rules."""
        return AuditEvent.objects.filter(chain=self.chain, seq__isnull=False, seq__lte=self.last_seq)


def bursts(times: Sequence[datetime], count: int, window: timedelta) -> list[tuple[int, int]]:
    """Index ranges [i, j] of sorted `times` where windows of length `window` hold at least `count` events;
    qualifying windows that start within `window` of the previous range's end join that range."""
    runs: list[tuple[int, int]] = []
    for i in range(len(times) - count + 1):
        j = i + count - 1
        if times[j] - times[i] > window:
            continue
        if runs and times[i] - times[runs[-1][1]] <= window:
            runs[-1] = (runs[-1][0], max(runs[-1][1], j))
        else:
            runs.append((i, j))
    return runs


def _windowed(
    scan: Scan,
    *,
    rule: str,
    severity: str,
    events: Q,
    key_field: str,
    key_prefix: str,
    count: int,
    window: timedelta,
    details: dict[str, Any],
) -> list[Finding]:
    """Bursts of `count` matching events by one key within `window`, touching the new range. One aggregate
    query finds the keys with enough events in the look-back; only their events are read."""
    new = scan.new_events().filter(events)
    first_new = new.aggregate(first=Min("timestamp"))["first"]
    if first_new is None:
        return []
    since = first_new - window
    keys = new.values(key_field).distinct()
    heavy = (
        scan.known_events()
        .filter(events, timestamp__gte=since, **{f"{key_field}__in": keys})
        .values(key_field)
        .annotate(n=Count("id"))
        .filter(n__gte=count)
        .order_by()
    )
    findings = []
    for row in heavy:
        value = row[key_field]
        rows: list[Evidence] = list(
            scan.known_events()
            .filter(events, timestamp__gte=since, **{key_field: value})
            .order_by("timestamp", "seq")
            .values_list(*EVIDENCE_FIELDS)
        )
        for i, j in bursts([r[3] for r in rows], count, window):
            burst = rows[i : j + 1]
            if not any(seq is not None and seq > scan.after_seq for _, seq, _, _ in burst):
                continue  # wholly before this scan: an earlier run saw it
            key = f"{key_prefix}{value}"
            findings.append(
                Finding(
                    rule=rule,
                    severity=severity,
                    key=key,
                    window_start=burst[0][3],
                    window_end=burst[-1][3],
                    evidence=burst,
                    dedupe_key=f"{rule}:{key}:{burst[0][0]}",
                    details=details,
                    count=len(burst),
                    gap=window,
                )
            )
    return findings


def rule_bulk_phi_access(scan: Scan) -> list[Finding]:
    t = scan.thresholds
    return _windowed(
        scan,
        rule=Rule.BULK_PHI_ACCESS,
        severity="high",
        key_field="actor_id",
        key_prefix="actor:",
        events=Q(event_type__in=["phi.detection", "model.inference"], actor_type__in=ACTING),
        count=t.bulk_phi_count,
        window=timedelta(minutes=t.bulk_phi_window_minutes),
        details={"threshold": t.bulk_phi_count, "window_minutes": t.bulk_phi_window_minutes},
    )


def rule_ip_restriction(scan: Scan) -> list[Finding]:
    """Any request refused because it came from outside the organisation's allowed networks."""
    return _windowed(
        scan,
        rule=Rule.IP_RESTRICTION,
        severity="medium",
        key_field="ip",
        key_prefix="ip:",
        events=Q(event_type="access.denied", details__contains='"reason":"ip_restriction"', ip__isnull=False),
        count=1,
        window=IP_RESTRICTION_WINDOW,
        details={"reason": "ip_restriction"},
    )


def rule_repeated_denials(scan: Scan) -> list[Finding]:
    t = scan.thresholds
    common: dict[str, Any] = {
        "rule": Rule.REPEATED_DENIALS,
        "severity": "medium",
        "count": t.denial_count,
        "window": timedelta(minutes=t.denial_window_minutes),
        "details": {"threshold": t.denial_count, "window_minutes": t.denial_window_minutes},
    }
    by_actor = _windowed(
        scan,
        events=Q(event_type="access.denied", actor_type__in=ACTING),
        key_field="actor_id",
        key_prefix="actor:",
        **common,
    )
    anonymous = Q(event_type="access.denied", ip__isnull=False) & ~Q(actor_type__in=ACTING)
    return by_actor + _windowed(scan, events=anonymous, key_field="ip", key_prefix="ip:", **common)


def rule_login_failed_then_succeeded(scan: Scan) -> list[Finding]:
    """A sign-in that succeeded after at least N failures for the same user within the window before it."""
    t = scan.thresholds
    window = timedelta(minutes=t.login_window_minutes)
    failed = AuditEvent.objects.filter(chain=scan.chain, event_type="auth.login.failed")
    prior = (
        failed.filter(
            user_id=OuterRef("user_id"),
            timestamp__gte=OuterRef("timestamp") - window,
            timestamp__lte=OuterRef("timestamp"),
        )
        .order_by()
        .values("user_id")
        .annotate(n=Count("id"))
        .values("n")[:1]
    )
    successes = (
        scan.new_events()
        .filter(event_type="auth.login.succeeded")
        .exclude(user_id="")
        .annotate(failures=Coalesce(Subquery(prior), 0))
        .filter(failures__gte=t.login_failure_count)
        .order_by("seq")
        .values_list(*EVIDENCE_FIELDS, "user_id", "failures")
    )
    findings = []
    for event_id, seq, event_type, timestamp, user_id, failures in successes:
        evidence: list[Evidence] = list(
            failed.filter(user_id=user_id, timestamp__gte=timestamp - window, timestamp__lte=timestamp)
            .order_by("timestamp")
            .values_list(*EVIDENCE_FIELDS)[:MAX_EVIDENCE]
        )
        evidence.append((event_id, seq, event_type, timestamp))
        key = f"user:{user_id}"
        findings.append(
            Finding(
                rule=Rule.LOGIN_FAILED_THEN_SUCCEEDED,
                severity="high",
                key=key,
                window_start=evidence[0][3],
                window_end=timestamp,
                evidence=evidence,
                dedupe_key=f"login:{key}:{event_id}",
                count=failures + 1,
                details={
                    "failures": failures,
                    "threshold": t.login_failure_count,
                    "window_minutes": t.login_window_minutes,
                },
                gap=window,
            )
        )
    return findings


def rule_break_glass(scan: Scan) -> list[Finding]:
    """Emergency access granted or used, and every action tagged as done under a grant: one alert a grant."""
    tagged = Q(event_type__in=BREAK_GLASS_TYPES) | Q(details__contains='"break_glass":true')
    grants: dict[str, list[Evidence]] = {}
    rows = scan.new_events().filter(tagged).order_by("seq").values_list(*EVIDENCE_FIELDS, "resource_id", "details")
    for event_id, seq, event_type, timestamp, resource_id, details in rows:
        details = details if isinstance(details, dict) else {}
        if event_type not in BREAK_GLASS_TYPES and details.get("break_glass") is not True:
            continue
        grant = str(details.get("grant_id") or resource_id or "unknown")
        grants.setdefault(grant, []).append((event_id, seq, event_type, timestamp))
    return [
        Finding(
            rule=Rule.BREAK_GLASS,
            severity="low",
            key=f"grant:{grant}",
            window_start=events[0][3],
            window_end=events[-1][3],
            evidence=events,
            dedupe_key=f"break_glass:{grant}",
            count=len(events),
            details={"grant_id": grant},
        )
        for grant, events in grants.items()
    ]


def rule_audit_verification(scan: Scan) -> list[Finding]:
    """The new range does not verify (edited, deleted, reordered events), or a verifier reported a failure."""
    findings = []
    failure = periodic.verify_range(scan.chain, scan.after_seq, scan.last_seq)
    if failure is not None:
        findings.append(verification_finding(scan.chain, *failure))
    for row in scan.new_events().filter(event_type="audit.verify_live.failed").values_list(*EVIDENCE_FIELDS):
        findings.append(
            Finding(
                rule=Rule.AUDIT_VERIFICATION,
                severity="critical",
                key=f"chain:{scan.chain}",
                window_start=row[3],
                window_end=row[3],
                evidence=[row],
                dedupe_key=f"audit_verification:{row[0]}",
                count=1,
                details={"reported_by": row[0]},
            )
        )
    return findings


RULES: list[Callable[[Scan], list[Finding]]] = [
    rule_bulk_phi_access,
    rule_ip_restriction,
    rule_repeated_denials,
    rule_login_failed_then_succeeded,
    rule_break_glass,
    rule_audit_verification,
]
