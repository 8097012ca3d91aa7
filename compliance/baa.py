"""BAAs: create, attach the signed document (sealed), move along the lifecycle, and the daily refresh that
activates, flags expiring (with reminders) and expires them. Every change is audited in its transaction."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone

from accessctl.policy import authorize
from audit.services import record
from compliance.baa_mail import send_for_signature
from compliance.models import BAA_TRANSITIONS, IN_FORCE, BaaHistory, BaaStatus, BusinessAssociateAgreement
from core.errors import FieldError
from core.uploads import check_size, safe_filename, upload_limit
from deployments.associates import PAITIENT, normalize_associate

if TYPE_CHECKING:
    from accessctl.actor import Actor
    from accessctl.models import Organization

MAX_TERM_DAYS = 10 * 366
REMINDER_DAYS_LEFT = {30, 14, 7, 3, 1}
ACTIONS = ("send", "revise", "sign", "activate", "renew", "terminate")


@dataclass(frozen=True)
class BaaSpec:
    counterparty: str
    effective_date: date
    expiry_date: date
    counterparty_contact: str = ""
    scope: str = ""
    reminder_days: int = 30
    business_associate: str = PAITIENT


def today() -> date:
    return timezone.localdate()


def baa_in_force(
    organization: Organization, associate: str, *, on: date | None = None
) -> BusinessAssociateAgreement | None:
    """The BAA with this business associate that covers PHI today: active (or expiring), within its dates."""
    day = on or today()
    return (
        BusinessAssociateAgreement.objects.filter(
            organization=organization,
            business_associate=associate,
            status__in=IN_FORCE,
            effective_date__lte=day,
            expiry_date__gt=day,
        )
        .defer("document")
        .order_by("-expiry_date")
        .first()
    )


def _validate(spec: BaaSpec) -> None:
    if not spec.counterparty.strip():
        raise FieldError("counterparty", "Name the other party to the agreement.")
    if normalize_associate(spec.business_associate) is None:
        raise FieldError(
            "business_associate", "Name the business associate: aws, paitient, or the host of an external endpoint."
        )
    if spec.expiry_date <= spec.effective_date:
        raise FieldError("expiry_date", "The agreement must expire after it takes effect.")
    if (spec.expiry_date - spec.effective_date).days > MAX_TERM_DAYS:
        raise FieldError("expiry_date", "At most ten years after the effective date.")
    if not 1 <= spec.reminder_days <= 365:
        raise FieldError("reminder_days", "Between 1 and 365 days.")


def _move(baa: BusinessAssociateAgreement, to: str, actor: Actor | None, note: str = "", **details: Any) -> None:
    if to not in BAA_TRANSITIONS[baa.status]:
        raise FieldError("action", f"A {baa.status} agreement cannot become {to}.")
    previous = baa.status
    baa.status = to
    baa.save()
    BaaHistory.objects.create(baa=baa, from_status=previous, to_status=to, actor=actor.user if actor else None,
                              note=note[:300])  # fmt: skip
    record(actor=actor, organization=baa.organization, event_type=f"baa.{to}", resource=baa.resource,
           resource_id=baa.public_id, details={"from": previous, **details})  # fmt: skip


def baa_create(*, actor: Actor, spec: BaaSpec) -> BusinessAssociateAgreement:
    authorize(actor, "baa:manage", "baa/*")
    _validate(spec)
    with transaction.atomic():
        baa = BusinessAssociateAgreement.objects.create(
            organization=actor.organization, counterparty=spec.counterparty.strip(),
            business_associate=normalize_associate(spec.business_associate) or PAITIENT,
            counterparty_contact=spec.counterparty_contact, scope=spec.scope, effective_date=spec.effective_date,
            expiry_date=spec.expiry_date, reminder_days=spec.reminder_days, created_by=actor.user,
        )  # fmt: skip
        BaaHistory.objects.create(baa=baa, to_status=BaaStatus.DRAFT, actor=actor.user, note="created")
        record(actor=actor, event_type="baa.created", resource=baa.resource, resource_id=baa.public_id,
               details={"effective_date": spec.effective_date.isoformat(), "business_associate": baa.business_associate,
                        "expiry_date": spec.expiry_date.isoformat()})  # fmt: skip
    return baa


def baa_attach_document(*, actor: Actor, baa: BusinessAssociateAgreement, name: str, content: bytes) -> None:
    authorize(actor, "baa:manage", baa.resource)
    check_size("document", content, upload_limit())  # 413: PAITIENT_MAX_UPLOAD_BYTES
    if not content.startswith(b"%PDF-"):
        raise FieldError("document", "Upload the signed agreement as a PDF.")
    if baa.status in {BaaStatus.EXPIRED, BaaStatus.TERMINATED}:
        raise FieldError("document", f"A {baa.status} agreement cannot change.")
    with transaction.atomic():
        locked = BusinessAssociateAgreement.objects.select_for_update().get(pk=baa.pk)
        locked.document = content
        locked.document_name = safe_filename(name, "agreement.pdf")
        locked.document_sha256 = hashlib.sha256(content).hexdigest()
        locked.document_size = len(content)
        locked.save()
        record(actor=actor, event_type="baa.document_uploaded", resource=baa.resource, resource_id=baa.public_id,
               details={"sha256": locked.document_sha256, "size": len(content)})  # fmt: skip


def baa_transition(
    *, actor: Actor, baa: BusinessAssociateAgreement, action: str, signatory: str = "", reason: str = "",
    expiry_date: date | None = None,
) -> BusinessAssociateAgreement:  # fmt: skip
    if action not in ACTIONS:
        raise FieldError("action", f"Choose one of: {', '.join(ACTIONS)}.")
    authorize(actor, "baa:manage", baa.resource)
    with transaction.atomic():
        locked = BusinessAssociateAgreement.objects.select_for_update().select_related("organization").get(pk=baa.pk)
        day = today()
        if action == "send":
            contact = locked.counterparty_contact
            _move(locked, BaaStatus.SENT, actor, note="e-mailed to the counterparty's contact" if contact else
                  "no contact e-mail on file: nothing was e-mailed", emailed=bool(contact))  # fmt: skip
            if contact:
                transaction.on_commit(partial(send_for_signature, locked.pk))
        elif action == "revise":
            _move(locked, BaaStatus.DRAFT, actor, note="back to draft for changes")
        elif action == "sign":
            if not locked.document_sha256:
                raise FieldError("document", "Upload the signed agreement before marking it signed.")
            if not signatory.strip():
                raise FieldError("signatory", "Name who signed for the other party.")
            locked.signatory, locked.signed_at = signatory.strip()[:200], timezone.now()
            _move(locked, BaaStatus.SIGNED, actor, document_sha256=locked.document_sha256)
            if locked.effective_date <= day < locked.expiry_date:
                _move(locked, BaaStatus.ACTIVE, actor, note="in force from signature")
        elif action == "activate":
            if not locked.effective_date <= day < locked.expiry_date:
                raise FieldError(
                    "effective_date", "The agreement is only in force between its effective and expiry dates."
                )
            _move(locked, BaaStatus.ACTIVE, actor)
        elif action == "renew":
            if locked.status not in IN_FORCE:
                raise FieldError("action", "Only an active or expiring agreement can be renewed.")
            if expiry_date is None or expiry_date <= locked.expiry_date:
                raise FieldError("expiry_date", "Give a new expiry date after the current one.")
            previous_expiry = locked.expiry_date
            locked.expiry_date, locked.last_reminder_on = expiry_date, None
            if locked.status == BaaStatus.EXPIRING:
                _move(locked, BaaStatus.ACTIVE, actor, note="renewed")
            else:
                locked.save()
            dates = {"from_expiry": previous_expiry.isoformat(), "to_expiry": expiry_date.isoformat()}
            record(actor=actor, event_type="baa.renewed", resource=locked.resource, resource_id=locked.public_id,
                   details=dates)  # fmt: skip
        else:  # terminate
            if not reason.strip():
                raise FieldError("reason", "Say why the agreement is terminated.")
            locked.termination_reason = reason.strip()[:300]
            _move(locked, BaaStatus.TERMINATED, actor, note="terminated")
    return locked


@transaction.atomic
def baa_refresh(*, on: date | None = None) -> dict[str, int]:
    """Daily: activate signed agreements that took effect, flag and remind expiring ones, expire the rest."""
    day = on or today()
    counts = {"activated": 0, "expiring": 0, "expired": 0, "reminders": 0}
    live = BusinessAssociateAgreement.objects.select_for_update().select_related("organization")
    for baa in live.filter(status__in=[BaaStatus.SIGNED, *IN_FORCE]):
        days_left = (baa.expiry_date - day).days
        if days_left <= 0:
            _move(baa, BaaStatus.EXPIRED, None, note="expiry date passed", expiry_date=baa.expiry_date.isoformat())
            counts["expired"] += 1
            continue
        if baa.status == BaaStatus.SIGNED and baa.effective_date <= day:
            _move(baa, BaaStatus.ACTIVE, None, note="effective date reached")
            counts["activated"] += 1
        if baa.status == BaaStatus.ACTIVE and days_left <= baa.reminder_days:
            _move(baa, BaaStatus.EXPIRING, None, note=f"expires in {days_left} days", days_left=days_left)
            counts["expiring"] += 1
        if (
            baa.status == BaaStatus.EXPIRING
            and baa.last_reminder_on != day
            and (baa.last_reminder_on is None or days_left in REMINDER_DAYS_LEFT)
        ):
            baa.last_reminder_on = day
            baa.save(update_fields=["last_reminder_on", "updated_at"])
            record(actor=None, organization=baa.organization, event_type="baa.reminder", resource=baa.resource,
                   resource_id=baa.public_id, details={"days_left": days_left,
                                                       "expiry_date": baa.expiry_date.isoformat()})  # fmt: skip
            counts["reminders"] += 1
    return counts


def expiring_soon(organization: Organization, *, within_days: int = 60) -> list[BusinessAssociateAgreement]:
    horizon = today() + timedelta(days=within_days)
    return list(
        BusinessAssociateAgreement.objects.filter(
            organization=organization, status__in=[BaaStatus.SIGNED, *IN_FORCE], expiry_date__lte=horizon
        ).order_by("expiry_date")
    )
