"""Detection checks that are not a scan of new events: verifying a chain range, a daily full verification,
and stopped deployments whose runtime still answers (throttled, run outside the detection lock)."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.utils import timezone

from accessctl.models import Organization
from audit import canonical
from audit.models import AuditEvent, ChainHead
from audit.verify import SegmentVerifier, VerificationFailed
from audit.verify_live import ROW_FIELDS, content_from_row, verify_chain
from audit.verify_segments import CHUNK
from deployments import providers
from deployments.models import Deployment, Provider, State
from deployments.providers import local as local_runtime
from incidents.findings import Finding, verification_finding
from incidents.models import Alert, DetectionCursor, Rule

log = logging.getLogger(__name__)

FULL_VERIFY_EVERY = timedelta(hours=24)
DEPLOYMENT_CHECK_EVERY = timedelta(minutes=10)
DEPLOYMENT_LOOKBACK = timedelta(days=7)  # stopped deployments older than this are not probed any more


def verify_range(chain: str, after_seq: int, last_seq: int) -> tuple[int | None, str] | None:
    """Check events after_seq+1..last_seq: content against leaf hashes, links to each other and to the event
    before the range. (seq, reason) of the first failure, or None."""
    previous: bytes | None
    if after_seq == 0:
        previous = canonical.GENESIS_HASH
    else:
        before = AuditEvent.objects.filter(chain=chain, seq=after_seq).values_list("hash", flat=True).first()
        head = ChainHead.objects.filter(chain=chain).first()
        if before is None and head is not None and head.anchor_seq == after_seq:
            before = head.anchor_hash  # the last purged event's hash
        try:
            previous = bytes.fromhex(before) if before else None
        except ValueError:
            return after_seq, "hash is not a hash"
    segment = SegmentVerifier(after_seq + 1, previous)
    rows = (
        AuditEvent.objects.filter(chain=chain, seq__gt=after_seq, seq__lte=last_seq)
        .order_by("seq")
        .values_list(*ROW_FIELDS)
        .iterator(chunk_size=CHUNK)
    )
    try:
        for row in rows:
            segment.feed(row[0], canonical.canonical_text(content_from_row(row)), row[16], row[17], row[18])
    except VerificationFailed as failure:
        return failure.seq, failure.reason
    if segment.expected_seq <= last_seq:
        return segment.expected_seq, f"missing event(s): expected seq {segment.expected_seq}"
    return None


def full_verification(organization: Organization) -> list[Finding]:
    report = verify_chain(organization.public_id, sequence_first=False)
    if report.ok:
        return []
    return [verification_finding(organization.public_id, report.failed_seq, report.reason)]


def deployments_still_answering(organization: Organization) -> list[Finding]:
    """Stopped local and external deployments whose runtime still answers. A local runtime still alive after
    its deprovisioning can serve PHI to whoever holds its key (high); an external endpoint is not ours to
    stop, but it still accepting the stored credential means the key should be revoked at the provider (low)."""

    alerted = set(
        Alert.objects.filter(organization=organization, rule=Rule.DEPROVISIONED_ANSWERING).values_list("key", flat=True)
    )
    stopped = Deployment.objects.filter(
        organization=organization,
        state=State.STOPPED,
        provider__in=[Provider.LOCAL, Provider.EXTERNAL],
        updated_at__gte=timezone.now() - DEPLOYMENT_LOOKBACK,
    ).select_related("model")
    findings = []
    for deployment in stopped:
        key = f"deployment:{deployment.public_id}"
        if key in alerted:
            continue
        local = deployment.provider == Provider.LOCAL
        try:
            if local:
                pid, port = deployment.provider_state.get("pid"), deployment.provider_state.get("port")
                alive = bool(pid and port and local_runtime.is_ours(int(pid), int(port)))
                answering = alive and providers.provider_for(deployment.provider).status(deployment) == "running"
            else:
                alive = answering = providers.provider_for(deployment.provider).status(deployment) == "running"
        except Exception:  # a probe that breaks says nothing either way
            log.warning("probing stopped deployment %s failed", deployment.public_id, exc_info=True)
            continue
        if not alive:
            continue
        now = timezone.now()
        findings.append(
            Finding(
                rule=Rule.DEPROVISIONED_ANSWERING,
                severity="high" if local else "low",
                key=key,
                window_start=now,
                window_end=now,
                evidence=[],
                dedupe_key=f"deprovisioned:{deployment.public_id}",
                count=0,
                details={
                    "deployment_id": deployment.public_id,
                    "provider": deployment.provider,
                    "runtime": "answering" if answering else "process alive",
                },
            )
        )
    return findings


def periodic_findings(organization: Organization) -> list[Finding]:
    """The checks whose time has come for this organisation (the cursor remembers when each last ran)."""
    now = timezone.now()
    cursor = DetectionCursor.objects.get(chain=organization.public_id)
    findings: list[Finding] = []
    if cursor.full_verified_at is None or now - cursor.full_verified_at >= FULL_VERIFY_EVERY:
        findings += full_verification(organization)
        DetectionCursor.objects.filter(pk=cursor.pk).update(full_verified_at=now)
    if cursor.deployments_checked_at is None or now - cursor.deployments_checked_at >= DEPLOYMENT_CHECK_EVERY:
        findings += deployments_still_answering(organization)
        DetectionCursor.objects.filter(pk=cursor.pk).update(deployments_checked_at=now)
    return findings
