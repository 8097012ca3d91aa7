"""Notification letters as PDF: Django templates filled with incident-level facts, rendered by WeasyPrint.

A letter is a template for the mail merge: where an individual's name or address goes it holds a
placeholder (`{{recipient_name}}`), never a person's data. Nothing is fetched while rendering."""

from __future__ import annotations

from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone

from core.pdf import html_to_pdf
from incidents.assessment import FACTORS, IDENTIFIER_TYPES
from incidents.deadlines import JURISDICTIONS
from incidents.models import Notice, RiskAssessment

TEMPLATES = {
    "individual": "incidents/notices/individual.html",
    "media": "incidents/notices/media.html",
    "hhs": "incidents/notices/hhs.html",
}
MERGE_FIELDS = (
    "breach_date",
    "recipient_name",
    "recipient_address",
    "letter_date",
    "contact_phone",
    "contact_email",
    "contact_address",
    "covered_entity_name",
)


# What a letter says about factors 3 and 4, in words for the people notified.
ACQUIRED_PHRASES = {
    "not_acquired": "We found no evidence that the information was viewed or taken.",
    "unknown": "We could not rule out that the information was viewed or taken.",
    "acquired": "The information was viewed or taken by someone not authorised to see it.",
}
MITIGATION_PHRASES = {
    "full": "The information has been returned or destroyed, and we have received assurances that it was not kept.",
    "partial": "We have taken steps to limit the harm, and that work continues.",
    "none": "We are working to limit the harm.",
}


def notice_context(notice: Notice, assessment: RiskAssessment) -> dict[str, Any]:
    """Incident-level facts only: dates, counts, types of PHI, the assessment's choices (not its free text)."""
    incident = notice.incident
    first_event = incident.timeline.order_by("timestamp").values_list("timestamp", flat=True).first()
    by_jurisdiction: dict[str, int] = assessment.affected_by_jurisdiction or {}
    return {
        "notice": notice,
        "incident": incident,
        "organization": incident.organization,
        "generated_at": timezone.now(),
        "discovered_on": timezone.localtime(incident.discovered_at).date(),
        "occurred_on": timezone.localtime(first_event).date() if first_event else None,
        "identifier_types": [IDENTIFIER_TYPES[t] for t in assessment.identifier_types if t in IDENTIFIER_TYPES],
        "affected_individuals": assessment.affected_individuals,
        "jurisdiction": JURISDICTIONS.get(notice.jurisdiction, notice.jurisdiction),
        "jurisdiction_residents": by_jurisdiction.get(notice.jurisdiction, 0) if notice.jurisdiction else None,
        "jurisdiction_rows": sorted((JURISDICTIONS.get(code, code), count) for code, count in by_jurisdiction.items()),
        "recipient": FACTORS["recipient"].label(assessment.recipient),
        "acquired": FACTORS["acquired"].label(assessment.acquired),
        "mitigation": FACTORS["mitigation"].label(assessment.mitigation),
        "assessment": assessment,
        "acquired_phrase": ACQUIRED_PHRASES[assessment.acquired],
        "mitigation_phrase": MITIGATION_PHRASES[assessment.mitigation],
        "merge": {name: "{{" + name + "}}" for name in MERGE_FIELDS},
    }


def render_html(notice: Notice, assessment: RiskAssessment) -> str:
    return render_to_string(TEMPLATES[notice.kind], notice_context(notice, assessment))


def render_pdf(notice: Notice, assessment: RiskAssessment) -> bytes:
    return html_to_pdf(render_html(notice, assessment))
