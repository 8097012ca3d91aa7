"""“Send for signature”: the agreement goes by e-mail to the counterparty's contact (Django's mail backend:
files under var/mail by default, SMTP when EMAIL_HOST is set), with the uploaded agreement attached.

The message is sent after the transaction that marked the agreement `sent` commits; a mail server that
refuses it is logged (ids only) and the console says so on the agreement's next view."""

from __future__ import annotations

import structlog
from django.conf import settings
from django.core.mail import EmailMessage

from compliance.models import BusinessAssociateAgreement

log = structlog.get_logger(__name__)


def message_for(baa: BusinessAssociateAgreement) -> EmailMessage:
    organization = baa.organization.name
    body = (
        f"{organization} sends you its Business Associate Agreement (45 CFR 164.504(e)) for signature.\n\n"
        f"Agreement: {baa.public_id}\n"
        f"Parties: {organization} and {baa.counterparty}\n"
        f"Effective {baa.effective_date.isoformat()} until {baa.expiry_date.isoformat()}\n"
        + (f"Scope: {baa.scope}\n" if baa.scope else "")
        + "\nPlease sign the attached agreement and return it to the sender; "
        "it takes effect when its signed copy is on file.\n"
        if baa.document_sha256
        else "\nThe agreement document will follow from the sender.\n"
    )
    message = EmailMessage(
        subject=f"Business Associate Agreement for signature: {organization}",
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[baa.counterparty_contact],
    )
    if baa.document_sha256 and baa.document:
        message.attach(baa.document_name or f"{baa.public_id}.pdf", bytes(baa.document), "application/pdf")
    return message


def send_for_signature(baa_id: int) -> bool:
    """E-mail the agreement; False (and logged) when the mail server refused it."""
    baa = BusinessAssociateAgreement.objects.select_related("organization").get(pk=baa_id)
    try:
        message_for(baa).send(fail_silently=False)
    except Exception as exc:  # a mail server's refusal must not undo the state change; it is logged
        log.error("baa.email_failed", baa_id=baa.public_id, exception_type=type(exc).__name__)
        return False
    log.info("baa.emailed", baa_id=baa.public_id)
    return True
