"""Starting and running PHI scans (audited with types and counts only)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, Protocol

import structlog
from django.db import transaction
from django.http import HttpResponse
from django.utils import timezone

import phi
from audit.services import record
from core.errors import FieldError, TooLarge
from core.queueing import enqueue_on_commit, require_broker
from core.uploads import check_size, scan_limit
from encryption.services import blind_index
from scans.models import PhiScan, ScanFormat, ScanStatus
from scans.parsing import ScanInputError, documents

if TYPE_CHECKING:
    from accessctl.actor import Actor

log = structlog.get_logger(__name__)


class ScanDisclosureRecorder(Protocol):
    def __call__(self, *, scan: PhiScan, texts: Iterable[tuple[str, Sequence[phi.Entity]]]) -> object: ...


# The accounting of disclosures: `disclosures` registers its recorder in its AppConfig.ready(); it hashes the
# identifiers found in each document inside the `phi_scan.finished` transaction. Without it a scan fails closed.
_disclosure_recorder: ScanDisclosureRecorder | None = None


def register_scan_disclosure_recorder(recorder: ScanDisclosureRecorder) -> None:
    global _disclosure_recorder
    _disclosure_recorder = recorder


class ScanError(FieldError):
    """Input refused; `field` names it."""


class ScanTooLarge(ScanError, TooLarge):
    """A file over the scan limit (the API answers 413)."""


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


def is_text(data: bytes) -> bool:
    """UTF-8 text without NUL bytes (a PDF, a Word file or an image is not)."""
    if b"\x00" in data:
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def scan_start(*, actor: Actor, filename: str, data: bytes, fmt: str | None = None) -> PhiScan:
    fmt = fmt or guess_format(filename)
    if fmt not in ScanFormat.values:
        raise ScanError("format", f"Choose one of: {', '.join(ScanFormat.values)}.")
    if not data:
        raise ScanError("file", "The file is empty.")
    if not is_text(data):
        raise ScanError(
            "file",
            "This is not a text file: upload plain text, JSON lines or CSV in UTF-8 (PDF, Word and images are "
            "not read).",
        )
    check_size("file", data, scan_limit(), ScanTooLarge)  # 413: PAITIENT_MAX_SCAN_BYTES
    require_broker()  # an upload no worker can scan is refused before it is stored
    return _scan_create(actor=actor, filename=filename, data=data, fmt=fmt)


@transaction.atomic
def _scan_create(*, actor: Actor, filename: str, data: bytes, fmt: str) -> PhiScan:
    scan = PhiScan.objects.create(
        organization=actor.organization,
        created_by=actor.user,
        filename_hash=blind_index(actor.organization, filename, purpose="scan-filename"),
        filename=filename[:255],
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
    from scans import tasks  # here, not at the top: the task module imports this one

    enqueue_on_commit(tasks.phi_scan_run, scan.pk, failed=lambda: _not_queued(scan.pk))
    return scan


def _not_queued(scan_id: int) -> None:
    scan = PhiScan.objects.select_related("organization").defer("upload", "redacted", "findings").get(pk=scan_id)
    _fail(scan, "The scan queue was unavailable; nothing was scanned. Upload the file again.")


def scan_run(scan_id: int, progress: Any = None) -> PhiScan:
    """Detect PHI in every document of the upload; store positions, counts and a redacted copy."""
    scan = PhiScan.objects.select_related("organization").get(pk=scan_id)
    if scan.status == ScanStatus.DONE:
        return scan
    PhiScan.objects.filter(pk=scan_id).update(status=ScanStatus.RUNNING)
    findings: list[dict[str, Any]] = []
    counts: dict[str, int] = {}
    redacted: list[str] = []
    analysed: list[tuple[str, Sequence[phi.Entity]]] = []  # texts and entities for the disclosure index, in memory
    try:
        docs = list(documents(bytes(scan.upload), scan.format))
    except ScanInputError as exc:
        return _finish(scan, status=ScanStatus.FAILED, error=str(exc))
    try:
        engine = phi.get_engine()
        for index, (doc_id, text) in enumerate(docs, start=1):
            result = engine.process(text, "redact")
            analysed.append((text, result.entities))
            for entity in result.entities:
                findings.append({"document": doc_id, "start": entity.start, "end": entity.end, "type": entity.type,
                                 "score": round(entity.score, 3)})  # fmt: skip
                counts[entity.type] = counts.get(entity.type, 0) + 1
            redacted.append(f"{doc_id}\t{result.text}" if scan.format != ScanFormat.TEXT else result.text)
            if progress is not None and index % 20 == 0:
                progress(int(100 * index / len(docs)))
    except Exception as exc:  # fail closed: without the PHI engine nothing is stored, not even partial findings
        log.error("phi_scan.engine_failed", scan_id=scan.public_id, exception_type=type(exc).__name__)
        return _fail(scan, "The PHI engine is unavailable; nothing was stored. Upload the file again later.")
    if _disclosure_recorder is None:  # fail closed: findings nobody could account for are not kept
        return _fail(scan, "The accounting of disclosures is unavailable; nothing was stored. Try again later.")
    scan.findings = {"findings": findings}
    scan.redacted = "\n".join(redacted).encode("utf-8")
    scan.documents = len(docs)
    scan.counts = counts
    return _finish(scan, status=ScanStatus.DONE, analysed=analysed)


@transaction.atomic
def _fail(scan: PhiScan, error: str) -> PhiScan:
    """Mark a scan failed without touching its upload, findings or redacted copy."""
    scan.status = ScanStatus.FAILED
    scan.error = error[:300]
    scan.progress_percent = 100
    scan.finished_at = timezone.now()
    scan.save(update_fields=["status", "error", "progress_percent", "finished_at"])
    record(
        actor=None,
        organization=scan.organization,
        event_type="phi_scan.failed",
        outcome="error",
        resource=f"phi-scan/{scan.public_id}",
        resource_id=scan.public_id,
        details={"documents": 0, "counts": {}},
    )
    return scan


@transaction.atomic
def _finish(
    scan: PhiScan, *, status: str, error: str = "", analysed: Sequence[tuple[str, Sequence[phi.Entity]]] = ()
) -> PhiScan:
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
    if status == ScanStatus.DONE and _disclosure_recorder is not None:  # scan_run checked it is registered
        _disclosure_recorder(scan=scan, texts=analysed)
    return scan


def scan_abandon(scan_id: int, reason: str) -> None:
    """The recovery sweep gave up on the scan (its workers kept stopping): fail it with the reason."""
    _fail(PhiScan.objects.select_related("organization").get(pk=scan_id), reason)
