"""The accounting a patient receives, as rows, CSV or PDF (rendered on request: it is small and never stored)."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.template.loader import render_to_string
from django.utils import timezone

from disclosures.identifiers import KIND_LABELS
from reports.render import FORMULA_PREFIXES

if TYPE_CHECKING:
    from accessctl.actor import Actor
    from disclosures.services import DisclosureAccounting, DisclosureMatch

COLUMNS = ["id", "kind", "reference", "occurred_at", "deployment_id", "deployment_name", "provider", "recipient",
           "user_id", "api_key_id", "mode", "redacted", "matched"]  # fmt: skip


def row(match: DisclosureMatch) -> dict[str, Any]:
    d = match.disclosure
    return {
        "id": d.public_id,
        "kind": d.kind,
        "reference": d.reference,
        "occurred_at": d.created_at,
        "deployment_id": d.deployment_id,
        "deployment_name": d.deployment_name,
        "provider": d.provider,
        "recipient": d.recipient,
        "user_id": d.user_id_label,
        "api_key_id": d.api_key_id,
        "mode": d.mode,
        "redacted": d.redacted,
        "matched": list(match.matched),
    }


def _cell(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, list):
        value = " ".join(value)
    text = "" if value is None else str(value)
    # Spreadsheets run cells that start like a formula; deployment names come from users.
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def render_csv(accounting: DisclosureAccounting) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for match in accounting.matches:
        values = row(match)
        writer.writerow([_cell(values[c]) for c in COLUMNS])
    return out.getvalue().encode("utf-8")


def render_pdf(accounting: DisclosureAccounting, *, actor: Actor) -> bytes:
    from core.pdf import html_to_pdf  # WeasyPrint (Pango) loads only when a PDF is asked for

    html = render_to_string(
        "disclosures/accounting.html",
        {
            "organization": actor.organization,
            "generated_at": timezone.now(),
            "searched": [KIND_LABELS[k] for k in accounting.searched_kinds],
            "rows": [row(m) for m in accounting.matches],
        },
    )
    return html_to_pdf(html)
