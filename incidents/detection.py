"""Breach detection: rules over each audit chain's new events (since a per-chain cursor), as deduplicated alerts.

A rule takes a `Scan` (the organisation, its thresholds and the seq range not yet scanned) and returns
`Finding`s; `store` folds a finding into the alert of the same burst or saves a new, audited alert, and
alerts of medium severity or worse open an incident or attach to the open one for the same rule and key."""

from __future__ import annotations

import logging

from django.db import transaction
from django.db.models import Max

from accessctl.models import Organization
from audit.models import AuditEvent, ChainHead
from audit.services import record, sequence_chain
from incidents import periodic
from incidents.findings import Evidence, Finding
from incidents.models import ACTIVE_STATUSES, SEVERITY_RANK, Alert, DetectionCursor, Incident, Rule
from incidents.rules import MAX_EVIDENCE, RULES, Scan
from incidents.services import alert_attach, incident_open, link_events, thresholds_for

log = logging.getLogger(__name__)

MAX_SCAN = 50_000  # events per chain per run; a backlog is worked off over the following runs


def store(organization: Organization, finding: Finding) -> Alert | None:
    """Fold the finding into the alert of the same burst, or save it as a new alert: audited, and escalated
    to an incident when its severity is medium or worse. Returns the alert when it is new."""
    alerts = Alert.objects.select_for_update().filter(organization=organization)
    existing = alerts.filter(dedupe_key=finding.dedupe_key).first()
    if existing is None and finding.gap is not None:
        existing = (
            alerts.filter(rule=finding.rule, key=finding.key, window_end__gte=finding.window_start - finding.gap)
            .order_by("-window_end")
            .first()
        )
    if existing is not None:
        _merge(existing, finding)
        return None
    seqs = [seq for _, seq, _, _ in finding.evidence if seq is not None]
    alert = Alert.objects.create(
        organization=organization,
        rule=finding.rule,
        severity=finding.severity,
        key=finding.key,
        window_start=finding.window_start,
        window_end=finding.window_end,
        first_seq=min(seqs, default=None),
        last_seq=max(seqs, default=None),
        event_count=finding.count or len(finding.evidence),
        event_ids=[row[0] for row in finding.evidence[:MAX_EVIDENCE]],
        dedupe_key=finding.dedupe_key,
        details=finding.details,
    )
    record(
        actor=None,
        organization=organization,
        event_type="incident.alert",
        resource=f"alert/{alert.public_id}",
        resource_id=alert.public_id,
        details={
            "alert_id": alert.public_id,
            "rule": alert.rule,
            "key": alert.key,
            "severity": alert.severity,
            "event_count": alert.event_count,
            "first_seq": alert.first_seq,
            "last_seq": alert.last_seq,
        },
    )
    if SEVERITY_RANK[alert.severity] >= SEVERITY_RANK["medium"]:
        _escalate(alert, finding.evidence)
    return alert


def _merge(alert: Alert, finding: Finding) -> None:
    new = [row for row in finding.evidence if alert.last_seq is None or row[1] is None or row[1] > alert.last_seq]
    if not new and finding.window_end <= alert.window_end:
        return
    alert.event_count += len(new)
    alert.window_end = max(alert.window_end, finding.window_end)
    seqs = [seq for _, seq, _, _ in new if seq is not None]
    if seqs:
        alert.last_seq = max(alert.last_seq or 0, *seqs)
    room = MAX_EVIDENCE - len(alert.event_ids)
    alert.event_ids = [*alert.event_ids, *[row[0] for row in new if row[0] not in alert.event_ids][: max(room, 0)]]
    alert.save(update_fields=["event_count", "window_end", "last_seq", "event_ids", "updated_at"])
    if alert.incident is not None:
        link_events(alert.incident, new)


def _escalate(alert: Alert, evidence: list[Evidence]) -> None:
    incident = (
        Incident.objects.filter(
            organization=alert.organization, status__in=ACTIVE_STATUSES, alerts__rule=alert.rule, alerts__key=alert.key
        )
        .order_by("-discovered_at")
        .first()
    )
    if incident is None:
        incident = incident_open(
            actor=None,
            organization=alert.organization,
            severity=alert.severity,
            title=f"{Rule(alert.rule).label}: {alert.key}",
            discovered_at=alert.created_at,
            source="detection",
        )
    alert_attach(actor=None, incident=incident, alert=alert, evidence=evidence[:MAX_EVIDENCE])


def _locked_cursor(organization: Organization) -> DetectionCursor:
    DetectionCursor.objects.get_or_create(chain=organization.public_id, defaults={"organization": organization})
    return DetectionCursor.objects.select_for_update().get(chain=organization.public_id)


def detect_organization(organization: Organization) -> list[Alert]:
    """Scan the chain's events since the cursor with every rule, then the periodic checks; new alerts."""
    chain = organization.public_id
    sequence_chain(chain)
    thresholds = thresholds_for(organization)
    created: list[Alert] = []
    with transaction.atomic():
        cursor = _locked_cursor(organization)
        anchor = ChainHead.objects.filter(chain=chain).values_list("anchor_seq", flat=True).first() or 0
        after = max(cursor.last_seq, anchor)  # events before a retention purge's anchor are gone
        top = AuditEvent.objects.filter(chain=chain).aggregate(top=Max("seq"))["top"] or 0
        if top > after:
            scan = Scan(organization, chain, after, min(top, after + MAX_SCAN), thresholds)
            for rule in RULES:
                created += [alert for f in rule(scan) if (alert := store(organization, f)) is not None]
            cursor.last_seq = scan.last_seq
            cursor.save(update_fields=["last_seq", "updated_at"])
    # The slow checks (a full chain verification, calls to stopped runtimes) run outside the lock.
    findings = periodic.periodic_findings(organization)
    if findings:
        with transaction.atomic():
            _locked_cursor(organization)
            created += [alert for f in findings if (alert := store(organization, f)) is not None]
    return created


def detect_all() -> int:
    """Every organisation; one organisation's failure is logged and does not stop the others."""
    created = 0
    for organization in Organization.objects.order_by("pk"):
        try:
            created += len(detect_organization(organization))
        except Exception:
            log.exception("incident detection failed for organisation %s", organization.public_id)
    return created
