"""Collecting a report's sections and evidence, and writing them as PDF (WeasyPrint), JSON or CSV."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone

from reports import charts, queries, sections
from reports.evidence import ChainEvidence, chain_evidence
from reports.models import ComplianceReport, OutputFormat, ReportType

Progress = Callable[[int, str], None]
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class ReportDocument:
    report: ComplianceReport
    generated_at: datetime
    total_events: int
    sections: list[sections.Section]
    evidence: ChainEvidence


def collect(report: ComplianceReport, progress: Progress | None = None) -> ReportDocument:
    """Run every requested section's queries, then verify the audit chain; progress 5..85 %."""
    step = progress or (lambda percent, stage: None)
    organization, start, end = report.organization, report.period_start, report.period_end
    step(5, "counting events")
    total = queries.events(organization, start, end).count()
    built: list[sections.Section] = []
    for index, name in enumerate(report.sections):
        step(10 + int(60 * index / max(len(report.sections), 1)), f"section {name}")
        built.append(sections.build(name, organization, start, end))
    step(70, "verifying the audit chain")
    evidence = chain_evidence(organization)
    return ReportDocument(report, timezone.now(), total, built, evidence)


def render(document: ReportDocument) -> bytes:
    fmt = document.report.output_format
    if fmt == OutputFormat.PDF:
        return render_pdf(document)
    if fmt == OutputFormat.JSON:
        return render_json(document)
    return render_csv(document)


def headline(document: ReportDocument) -> dict[str, dict[str, int | str]]:
    """The figures the report stores and audits (counts only): {section: {label: value}}."""
    return {section.key: dict(section.figures) for section in document.sections}


# --- PDF ----------------------------------------------------------------------------------------


def _display(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    return "" if value is None else str(value)


def _cell_display(value: Any) -> dict[str, Any]:
    return {"text": _display(value), "num": isinstance(value, int) and not isinstance(value, bool)}


def _inclusive_end(end: datetime) -> datetime:
    return end - timedelta(microseconds=1)


# Each report type's title and the sentence under it on the cover.
COVERS: dict[str, tuple[str, str]] = {
    ReportType.HIPAA: (
        "HIPAA compliance report",
        "Audit controls (45 CFR 164.312(b)) and information system activity review (164.308(a)(1)(ii)(D))",
    ),
    ReportType.SOC2: (
        "SOC 2 report: Trust Services Criteria",
        "The AICPA Trust Services Criteria for security (CC6 logical access, CC7 system operations, CC8 change "
        "management) and confidentiality, each with the live evidence behind it,",
    ),
}


def pdf_context(document: ReportDocument) -> dict[str, Any]:
    report = document.report
    title, scope = COVERS[ReportType(report.report_type)]
    shown = [
        {
            "key": section.key,
            "title": section.title,
            "description": section.description,
            "figures": [(label, _display(value)) for label, value in section.figures],
            "charts": [{"title": chart.title, "svg": charts.render(chart)} for chart in section.charts],
            "tables": [
                {
                    "title": table.title,
                    "columns": table.columns,
                    "rows": [[_cell_display(cell) for cell in row] for row in table.rows],
                    "truncated": table.truncated,
                    "total": _display(table.total),
                    "shown": _display(len(table.rows)),
                }
                for table in section.tables
            ],
        }
        for section in document.sections
    ]
    return {
        "report": report,
        "report_title": title,
        "report_scope": scope,
        "organization": report.organization,
        "requested_by": report.requested_by.username if report.requested_by else "",
        "generated_at": document.generated_at,
        "period_end_inclusive": _inclusive_end(report.period_end),
        "total_events": _display(document.total_events),
        "sections": shown,
        "evidence": document.evidence,
        "evidence_events": _display(document.evidence.events),
    }


def render_pdf(document: ReportDocument) -> bytes:
    from core.pdf import html_to_pdf  # WeasyPrint (Pango) loads only in the worker that renders

    # No base URL and a fetcher that refuses everything but data: URLs: the PDF never reaches the network.
    return html_to_pdf(render_to_string("reports/report.html", pdf_context(document)))


# --- JSON and CSV -------------------------------------------------------------------------------


def json_document(document: ReportDocument) -> dict[str, Any]:
    report = document.report
    return {
        "report": {
            "id": report.public_id,
            "report_type": report.report_type,
            "organization": {"id": report.organization.public_id, "name": report.organization.name},
            "time_period": report.time_period,
            "period_start": report.period_start.isoformat(),
            "period_end": report.period_end.isoformat(),
            "generated_at": document.generated_at.isoformat(),
            "sections": list(report.sections),
            "audit_events_in_period": document.total_events,
        },
        "sections": [
            {
                "key": section.key,
                "title": section.title,
                "description": section.description,
                "figures": dict(section.figures),
                "tables": [
                    {
                        "title": t.title,
                        "columns": list(t.columns),
                        "rows": [list(r) for r in t.rows],
                        "total_rows": t.total if t.total is not None else len(t.rows),
                    }
                    for t in section.tables
                ],
                "charts": [{"title": c.title, "kind": c.kind, "points": c.points} for c in section.charts],
            }
            for section in document.sections
        ],
        "appendix": {"audit_chain": document.evidence.as_dict()},
    }


def render_json(document: ReportDocument) -> bytes:
    return json.dumps(json_document(document), indent=2, default=str).encode("utf-8")


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    # Spreadsheets run cells that start like a formula; resource names come from users.
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def render_csv(document: ReportDocument) -> bytes:
    """Long form, one value a line: section, table, row, column, value (pivot it in any spreadsheet)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["section", "table", "row", "column", "value"])
    data = json_document(document)
    for key, value in data["report"].items():
        writer.writerow(
            ["report", "report", "", key, _cell(json.dumps(value) if isinstance(value, list | dict) else value)]
        )
    for section in data["sections"]:
        for label, value in section["figures"].items():
            writer.writerow([section["key"], "figures", "", _cell(label), _cell(value)])
        for table in section["tables"]:
            for number, row in enumerate(table["rows"], start=1):
                for column, value in zip(table["columns"], row, strict=True):
                    writer.writerow([section["key"], _cell(table["title"]), number, _cell(column), _cell(value)])
    for key, value in data["appendix"]["audit_chain"].items():
        if isinstance(value, dict):
            for sub, item in value.items():
                writer.writerow(["appendix", "audit_chain", "", f"checkpoint.{sub}", _cell(item)])
        else:
            writer.writerow(["appendix", "audit_chain", "", key, _cell(value)])
    return out.getvalue().encode("utf-8")
