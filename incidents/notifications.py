"""Breach response actions: record a four-factor assessment, record a notification made, request, render and
download notice letters. Each checks the policy first and writes its audit event in the same transaction."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone

from accessctl.actor import Actor
from audit.services import record
from core.errors import FieldError
from core.queueing import enqueue_on_commit, require_broker
from incidents.assessment import FACTORS, Answers, compute, invalid_field
from incidents.deadlines import JURISDICTIONS, media_jurisdictions
from incidents.letters import render_pdf
from incidents.models import (
    Incident,
    Notice,
    NoticeKind,
    NoticeStatus,
    NotificationKind,
    NotificationRecord,
    RiskAssessment,
)
from incidents.selectors import incident_deadlines, latest_assessment
from incidents.services import authorize_incident, record_event

MAX_FACTOR_NOTES = 5000
MAX_AFFECTED = 1_000_000_000  # above any real breach, below the column's limit (a bigger number was a 500)


def _clean_counts(total: int, by_jurisdiction: Mapping[str, Any]) -> dict[str, int]:
    if isinstance(total, bool) or not isinstance(total, int) or not 0 <= total <= MAX_AFFECTED:
        raise FieldError("affected_individuals", f"A whole number from 0 to {MAX_AFFECTED:,}.")
    counts: dict[str, int] = {}
    for code, count in by_jurisdiction.items():
        upper = str(code).strip().upper()
        if upper not in JURISDICTIONS:
            raise FieldError("affected_by_jurisdiction", f"{code} is not a US state or territory code.")
        if isinstance(count, bool) or not isinstance(count, int) or not 0 <= count <= MAX_AFFECTED:
            raise FieldError("affected_by_jurisdiction", f"The count for {upper} must be a whole number, 0 or more.")
        if count:
            counts[upper] = counts.get(upper, 0) + count
    if sum(counts.values()) > total:
        raise FieldError("affected_by_jurisdiction", "The counts per state add up to more than the total affected.")
    return counts


def assessment_record(
    *,
    actor: Actor,
    incident: Incident,
    answers: Answers,
    notes: Mapping[str, str] | None = None,
    affected_individuals: int = 0,
    affected_by_jurisdiction: Mapping[str, Any] | None = None,
) -> RiskAssessment:
    """Add a version of the incident's four-factor assessment, with the computed result and its reasoning."""
    authorize_incident(actor, incident)
    invalid = invalid_field(answers)
    if invalid is not None:
        raise FieldError(*invalid)
    notes = dict(notes or {})
    for key, text in notes.items():
        if key not in FACTORS:
            raise FieldError(f"{key}_notes", "Unknown factor.")
        if len(text or "") > MAX_FACTOR_NOTES:
            raise FieldError(f"{key}_notes", f"At most {MAX_FACTOR_NOTES} characters.")
    counts = _clean_counts(affected_individuals, affected_by_jurisdiction or {})
    outcome = compute(answers)
    with transaction.atomic():
        locked = Incident.objects.select_for_update().get(pk=incident.pk)
        version = (locked.assessments.order_by("-version").values_list("version", flat=True).first() or 0) + 1
        assessment = RiskAssessment.objects.create(
            organization=incident.organization,
            incident=locked,
            version=version,
            nature_extent=answers.nature_extent,
            identifier_types=list(dict.fromkeys(answers.identifier_types)),
            reidentification=answers.reidentification,
            recipient=answers.recipient,
            acquired=answers.acquired,
            mitigation=answers.mitigation,
            scores=outcome.scores,
            result=outcome.result,
            reasoning=outcome.reasoning,
            affected_individuals=affected_individuals,
            affected_by_jurisdiction=counts,
            assessed_by=actor.user,
            **{f"{key}_notes": (notes.get(key) or "").strip() or None for key in FACTORS},
        )
        record_event(
            actor,
            incident,
            "incident.assessed",
            {
                "assessment_id": assessment.public_id,
                "version": version,
                "result": outcome.result,
                "scores": outcome.scores,
                "affected_individuals": affected_individuals,
                "jurisdictions": len(counts),
                "media_jurisdictions": media_jurisdictions(counts),
            },
        )
    return assessment


def notification_record(
    *, actor: Actor, incident: Incident, kind: str, notified_on: date, jurisdiction: str = ""
) -> NotificationRecord:
    """Record that a required notification was made (individuals, media of a state, HHS, the annual log)."""
    authorize_incident(actor, incident)
    jurisdiction = (jurisdiction or "").strip().upper()
    if kind not in NotificationKind.values:
        raise FieldError("kind", f"Choose one of: {', '.join(NotificationKind.values)}.")
    if kind == NotificationKind.MEDIA and jurisdiction not in JURISDICTIONS:
        raise FieldError("jurisdiction", "Name the state or territory whose media were notified.")
    if kind != NotificationKind.MEDIA:
        jurisdiction = ""
    if notified_on > timezone.localdate():
        raise FieldError("notified_on", "The date cannot be in the future.")
    if NotificationRecord.objects.filter(incident=incident, kind=kind, jurisdiction=jurisdiction).exists():
        raise FieldError("kind", "This notification is already recorded.")
    with transaction.atomic():
        notification = NotificationRecord.objects.create(
            organization=incident.organization,
            incident=incident,
            kind=kind,
            jurisdiction=jurisdiction,
            notified_on=notified_on,
            recorded_by=actor.user,
        )
        record_event(
            actor,
            incident,
            "incident.notified",
            {"kind": kind, "jurisdiction": jurisdiction, "notified_on": notified_on.isoformat()},
        )
    return notification


def notice_request(*, actor: Actor, incident: Incident, kind: str, jurisdiction: str = "") -> Notice:
    """Queue a letter for the worker (queue `reports`); only for a breach the latest assessment finds notifiable."""
    authorize_incident(actor, incident)
    if kind not in NoticeKind.values:
        raise FieldError("kind", f"Choose one of: {', '.join(NoticeKind.values)}.")
    assessment = latest_assessment(incident)
    if assessment is None or not assessment.notifiable:
        raise FieldError("kind", "Letters are for breaches the latest risk assessment finds notifiable.")
    jurisdiction = (jurisdiction or "").strip().upper()
    if kind == NoticeKind.MEDIA:
        due = {d.jurisdiction for d in incident_deadlines(incident, assessment) if d.kind == "media"}
        if jurisdiction not in due:
            raise FieldError(
                "jurisdiction",
                "Media notice is due only for states with 500 or more affected "
                f"residents: {', '.join(sorted(due)) or 'none'}.",
            )
    else:
        jurisdiction = ""
    require_broker()  # a letter no worker can render is refused before anything is stored
    from incidents import tasks  # here, not at the top: the task module imports this one

    with transaction.atomic():
        notice = Notice.objects.create(
            organization=incident.organization,
            incident=incident,
            kind=kind,
            jurisdiction=jurisdiction,
            requested_by=actor.user,
        )
        record_event(
            actor,
            incident,
            "incident.notice_requested",
            {"notice_id": notice.public_id, "kind": kind, "jurisdiction": jurisdiction},
        )
        enqueue_on_commit(tasks.render_notice, notice.pk, failed=lambda: _not_queued(notice.pk))
    return notice


def _not_queued(notice_id: int) -> None:
    Notice.objects.filter(pk=notice_id, status=NoticeStatus.QUEUED).update(
        status=NoticeStatus.FAILED, error="The rendering queue was unavailable; request the letter again."
    )


def notice_render(notice_pk: int) -> Notice | None:
    """In the worker: render the letter, seal it, mark it ready (idempotent: a ready notice is left alone)."""

    notice = Notice.objects.select_related("incident", "incident__organization").filter(pk=notice_pk).first()
    if notice is None or notice.status == NoticeStatus.READY:
        return notice
    notice.organization = notice.incident.organization
    assessment = latest_assessment(notice.incident)
    try:
        if assessment is None:
            raise ValueError("no assessment")
        pdf = render_pdf(notice, assessment)
    except Exception as exc:  # the reason is kept as a type name: messages may quote template data
        with transaction.atomic():
            notice.status, notice.error, notice.finished_at = NoticeStatus.FAILED, type(exc).__name__, timezone.now()
            notice.save(update_fields=["status", "error", "finished_at"])
            record_event(
                None,
                notice.incident,
                "incident.notice_failed",
                {"notice_id": notice.public_id, "error": type(exc).__name__},
            )
        return notice
    with transaction.atomic():
        notice.content, notice.sha256, notice.size_bytes = pdf, hashlib.sha256(pdf).hexdigest(), len(pdf)
        notice.status, notice.error, notice.finished_at = NoticeStatus.READY, "", timezone.now()
        notice.save(update_fields=["content", "sha256", "size_bytes", "status", "error", "finished_at"])
        record_event(
            None,
            notice.incident,
            "incident.notice_rendered",
            {
                "notice_id": notice.public_id,
                "kind": notice.kind,
                "sha256": notice.sha256,
                "size_bytes": notice.size_bytes,
            },
        )
    return notice


class NoticeNotReady(Exception):
    """The letter is still being rendered, or rendering failed."""


def notice_download(*, actor: Actor, notice: Notice) -> bytes:
    authorize_incident(actor, notice.incident)
    if notice.status != NoticeStatus.READY:
        raise NoticeNotReady(notice.status)
    with transaction.atomic():
        record(
            actor=actor,
            event_type="incident.notice_downloaded",
            resource=notice.incident.resource,
            resource_id=notice.public_id,
            details={
                "incident_id": notice.incident.public_id,
                "notice_id": notice.public_id,
                "kind": notice.kind,
                "sha256": notice.sha256,
            },
        )
    content: bytes = bytes(notice.content)
    return content


@transaction.atomic
def notice_abandon(notice_pk: int, reason: str) -> None:
    """The recovery sweep gave up on the letter (its workers kept stopping): fail it with the reason."""
    notice = Notice.objects.select_related("incident", "incident__organization").get(pk=notice_pk)
    notice.status, notice.error, notice.finished_at = NoticeStatus.FAILED, reason[:300], timezone.now()
    notice.save(update_fields=["status", "error", "finished_at"])
    record_event(None, notice.incident, "incident.notice_failed", {"notice_id": notice.public_id, "error": "abandoned"})
