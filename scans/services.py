"""Starting and running PHI scans (audited with types and counts only)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.http import HttpResponse
from django.utils import timezone

import phi
from audit.services import record
from encryption.services import blind_index
from portal.errors import FieldError
from scans.models import PhiScan, ScanFormat, ScanStatus
from scans.parsing import ScanInputError, documents

if TYPE_CHECKING:
    from accessctl.actor import Actor

MAX_UPLOAD_BYTES = 5 * 1024 * 1024


class ScanError(FieldError):
    """Input refused; `field` names it."""


def guess_format(filename: str) -> str:
    lowered = filename.lower()
    if lowered.endswith(".jsonl"):
        return ScanFormat.JSONL
    if lowered.endswith(".csv"):
        return ScanFormat.CSV
    return ScanFormat.TEXT


def redacted_download(scan: PhiScan) -> HttpResponse:
    """The redacted copy as a download (REST and console)."""
    response = HttpResponse(bytes(scan.redacted), content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{scan.public_id}-redacted.txt"'
    return response


@transaction.atomic
def scan_start(*, actor: Actor, filename: str, data: bytes, fmt: str | None = None) -> PhiScan:
    fmt = fmt or guess_format(filename)
    if fmt not in ScanFormat.values:
        raise ScanError("format", f"Choose one of: {', '.join(ScanFormat.values)}.")
    if not data:
        raise ScanError("file", "The file is empty.")
    if len(data) > MAX_UPLOAD_BYTES:
        raise ScanError("file", f"Files up to {MAX_UPLOAD_BYTES // (1024 * 1024)} MB are scanned.")
    scan = PhiScan.objects.create(
        organization=actor.organization,
        created_by=actor.user,
        filename_hash=blind_index(actor.organization, filename, purpose="scan-filename"),
        format=fmt,
        size_bytes=len(data),
        upload=data,
    )
    record(
        actor=actor,
        event_type="phi_scan.started",
        resource=f"phi-scan/{scan.public_id}",
        resource_id=scan.public_id,
        details={"format": fmt, "bytes": len(data)},
    )
    from scans import tasks

    transaction.on_commit(lambda: tasks.phi_scan_run.delay(scan.pk))
    return scan


def scan_run(scan_id: int, progress: Any = None) -> PhiScan:
    """Detect PHI in every document of the upload; store positions, counts and a redacted copy."""
    scan = PhiScan.objects.select_related("organization").get(pk=scan_id)
    if scan.status == ScanStatus.DONE:
        return scan
    PhiScan.objects.filter(pk=scan_id).update(status=ScanStatus.RUNNING)
    engine = phi.get_engine()
    findings: list[dict[str, Any]] = []
    counts: dict[str, int] = {}
    redacted: list[str] = []
    try:
        docs = list(documents(bytes(scan.upload), scan.format))
    except ScanInputError as exc:
        return _finish(scan, status=ScanStatus.FAILED, error=str(exc))
    for index, (doc_id, text) in enumerate(docs, start=1):
        result = engine.process(text, "redact")
        for entity in result.entities:
            findings.append({"document": doc_id, "start": entity.start, "end": entity.end, "type": entity.type,
                             "score": round(entity.score, 3)})  # fmt: skip
            counts[entity.type] = counts.get(entity.type, 0) + 1
        redacted.append(f"{doc_id}\t{result.text}" if scan.format != ScanFormat.TEXT else result.text)
        if progress is not None and index % 20 == 0:
            progress(int(100 * index / len(docs)))
    scan.findings = {"findings": findings}
    scan.redacted = "\n".join(redacted).encode("utf-8")
    scan.documents = len(docs)
    scan.counts = counts
    return _finish(scan, status=ScanStatus.DONE)


@transaction.atomic
def _finish(scan: PhiScan, *, status: str, error: str = "") -> PhiScan:
    scan.status = status
    scan.error = error
    scan.progress_percent = 100
    scan.finished_at = timezone.now()
    scan.save()
    record(
        actor=None,
        organization=scan.organization,
        event_type="phi_scan.finished" if status == ScanStatus.DONE else "phi_scan.failed",
        outcome="success" if status == ScanStatus.DONE else "error",
        resource=f"phi-scan/{scan.public_id}",
        resource_id=scan.public_id,
        details={"documents": scan.documents, "counts": scan.counts},
    )
    return scan
