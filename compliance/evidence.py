"""Checklist evidence: add a document (sealed) or an https link, revoke it, download it — each audited.

Uploads are recognised by their bytes, not their name: PDF, PNG, JPEG, DOCX or UTF-8 text, up to
PAITIENT_MAX_UPLOAD_BYTES (20 MB by default)."""

from __future__ import annotations

import hashlib
import io
import zipfile
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone

from accessctl.models import User
from accessctl.policy import authorize
from accessctl.tenancy import tenant_get
from audit.services import record
from compliance.checklist import ITEMS
from compliance.models import ChecklistEvidence, EvidenceKind
from core.errors import FieldError, NotFound
from core.uploads import check_size, safe_filename, upload_limit

if TYPE_CHECKING:
    from accessctl.actor import Actor

MAX_TERM_DAYS = 10 * 366
DEFAULT_TERM_DAYS = 365
EXPIRY_REQUIRED = {EvidenceKind.TRAINING, EvidenceKind.BREACH_PROCEDURE, EvidenceKind.POLICY}
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


class EvidenceIsALink(NotFound):
    """The evidence is a link, so there is no file to download."""

    problem_detail = "This evidence is a link, not a file."


@dataclass(frozen=True)
class EvidenceSpec:
    item: str
    kind: str
    title: str
    content: bytes | None = None
    file_name: str = ""
    link: str = ""
    owner_id: str = ""  # a member's public id; the actor when empty
    subject_user_id: str = ""  # the member a training record covers
    effective_date: date | None = None
    expiry_date: date | None = None


def sniff(content: bytes) -> str | None:
    """The content type of an allowed document, judged by its bytes; None when not allowed."""
    if content.startswith(b"%PDF-"):
        return "application/pdf"
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if content.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if content.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(content)) as archive:
                names = set(archive.namelist())
        except zipfile.BadZipFile:
            return None
        return DOCX if "word/document.xml" in names and "[Content_Types].xml" in names else None
    if b"\x00" in content:
        return None
    try:
        content.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return "text/plain"


def _member(actor: Actor, public_id: str, field: str) -> User:
    user = User.objects.filter(
        public_id=public_id, is_active=True, memberships__organization=actor.organization, memberships__is_active=True
    ).first()
    if user is None:
        raise FieldError(field, f"No active member {public_id} in this organisation.")
    return user


def _dates(spec: EvidenceSpec) -> tuple[date, date | None]:
    effective = spec.effective_date or timezone.localdate()
    expiry = spec.expiry_date
    if expiry is None and spec.kind in EXPIRY_REQUIRED:
        expiry = effective + timedelta(days=DEFAULT_TERM_DAYS)
    if expiry is not None:
        if expiry <= effective:
            raise FieldError("expiry_date", "The evidence must expire after it takes effect.")
        if (expiry - effective).days > MAX_TERM_DAYS:
            raise FieldError("expiry_date", "At most ten years after the effective date.")
    return effective, expiry


def _validate(actor: Actor, spec: EvidenceSpec) -> tuple[str, User | None, User | None, date, date | None]:
    item = ITEMS.get(spec.item)
    if item is None:
        raise FieldError("item", f"Choose one of: {', '.join(ITEMS)}.")
    if spec.kind not in item.evidence_kinds:
        raise FieldError("kind", f"Evidence for {item.title} is one of: {', '.join(item.evidence_kinds)}.")
    if not spec.title.strip():
        raise FieldError("title", "Give the evidence a title.")
    if len(spec.title.strip()) > 200:
        raise FieldError("title", "At most 200 characters.")
    if (spec.content is None) == (not spec.link):
        raise FieldError("file", "Upload a file or give a link (one of the two).")
    content_type = ""
    if spec.content is not None:
        if not spec.content:
            raise FieldError("file", "The file is empty.")
        check_size("file", spec.content, upload_limit())  # 413: PAITIENT_MAX_UPLOAD_BYTES
        content_type = sniff(spec.content) or ""
        if not content_type:
            raise FieldError("file", "Upload a PDF, PNG, JPEG, DOCX or plain-text file.")
    else:
        try:
            URLValidator(schemes=["https"])(spec.link)
        except ValidationError:
            raise FieldError("link", "Give an https:// link.") from None
        if len(spec.link) > 500:
            raise FieldError("link", "At most 500 characters.")
    owner = _member(actor, spec.owner_id, "owner_id") if spec.owner_id else actor.user
    subject = None
    if spec.kind == EvidenceKind.TRAINING:
        if not spec.subject_user_id:
            raise FieldError("subject_user_id", "Name the member this training record covers.")
        subject = _member(actor, spec.subject_user_id, "subject_user_id")
    elif spec.subject_user_id:
        raise FieldError("subject_user_id", "Only training records name a member.")
    effective, expiry = _dates(spec)
    return content_type, owner, subject, effective, expiry


def evidence_add(*, actor: Actor, spec: EvidenceSpec) -> ChecklistEvidence:
    authorize(actor, "baa:manage", f"checklist/{spec.item if spec.item in ITEMS else '*'}")
    content_type, owner, subject, effective, expiry = _validate(actor, spec)
    with transaction.atomic():
        evidence = ChecklistEvidence(
            organization=actor.organization,
            item=spec.item,
            kind=spec.kind,
            title=spec.title.strip(),
            link=spec.link,
            owner=owner,
            subject_user=subject,
            effective_date=effective,
            expiry_date=expiry,
            created_by=actor.user,
        )
        if spec.content is not None:
            evidence.file = spec.content
            evidence.file_name = safe_filename(spec.file_name, "evidence")
            evidence.file_type = content_type
            evidence.file_sha256 = hashlib.sha256(spec.content).hexdigest()
            evidence.file_size = len(spec.content)
        evidence.save()
        details: dict[str, object] = {
            "item": spec.item,
            "kind": spec.kind,
            "link": bool(spec.link),
            "expiry_date": expiry.isoformat() if expiry else None,
        }
        if evidence.file_sha256:
            details.update(sha256=evidence.file_sha256, size=evidence.file_size, type=content_type)
        if subject is not None:
            details["subject_user_id"] = subject.public_id
        record(
            actor=actor,
            event_type="checklist.evidence_added",
            resource=evidence.resource,
            resource_id=evidence.public_id,
            details=details,
        )
    return evidence


def evidence_revoke(*, actor: Actor, evidence: ChecklistEvidence) -> ChecklistEvidence:
    authorize(actor, "baa:manage", evidence.resource)
    with transaction.atomic():
        locked = ChecklistEvidence.objects.select_for_update().defer("file").get(pk=evidence.pk)
        if locked.revoked_at is not None:
            raise FieldError("evidence", "This evidence is already revoked.")
        locked.revoked_at = timezone.now()
        locked.save(update_fields=["revoked_at"])
        record(
            actor=actor,
            event_type="checklist.evidence_revoked",
            resource=locked.resource,
            resource_id=locked.public_id,
            details={"item": locked.item, "kind": locked.kind, "sha256": locked.file_sha256 or None},
        )
    return locked


def access_evidence(*, actor: Actor, evidence_id: str, permission: str) -> ChecklistEvidence:
    """Fetch and authorise in one step; the encrypted file is not loaded."""
    rows = ChecklistEvidence.objects.select_related("owner", "subject_user").defer("file")
    return tenant_get(rows, actor, evidence_id, permission)


def evidence_file(*, actor: Actor, evidence: ChecklistEvidence) -> tuple[bytes, str, str]:
    """(content, content type, file name) of an uploaded document, audited as a download."""
    if not evidence.file_sha256:
        raise EvidenceIsALink(evidence.public_id)
    with transaction.atomic():
        content = ChecklistEvidence.objects.get(pk=evidence.pk).file
        record(
            actor=actor,
            event_type="checklist.evidence_downloaded",
            resource=evidence.resource,
            resource_id=evidence.public_id,
            details={"sha256": evidence.file_sha256},
        )
    return bytes(content), evidence.file_type or "application/octet-stream", evidence.file_name or "evidence"


def evidence_for(organization_id: int, item: str | None = None) -> list[ChecklistEvidence]:
    """The organisation's evidence (without file contents), newest first, optionally for one item."""
    found = ChecklistEvidence.objects.filter(organization_id=organization_id).select_related("owner", "subject_user")
    if item is not None:
        found = found.filter(item=item)
    return list(found.defer("file"))


def is_current(evidence: ChecklistEvidence, day: date | None = None) -> bool:
    today = day or timezone.localdate()
    return (
        evidence.revoked_at is None
        and evidence.effective_date <= today
        and (evidence.expiry_date is None or evidence.expiry_date > today)
    )
