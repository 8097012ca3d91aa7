"""BAAs over REST: the lifecycle, the sealed signed document, refusals naming the field, and the daily refresh."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import timezone

from audit.models import AuditEvent
from compliance.baa import baa_in_force, baa_refresh
from compliance.models import BusinessAssociateAgreement

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.7\n% signed BAA\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


def create(client, **overrides) -> Any:
    today = timezone.localdate()
    body = {"counterparty": "Mercy General Hospital", "counterparty_contact": "privacy@mercy.example",
            "effective_date": (today - timedelta(days=1)).isoformat(),
            "expiry_date": (today + timedelta(days=365)).isoformat(), **overrides}  # fmt: skip
    response = client.post("/api/v1/baas", body, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def act(client, baa_id: str, action: str, **extra):
    return client.post(f"/api/v1/baas/{baa_id}/actions", {"action": action, **extra}, format="json")


def upload(client, baa_id: str, content: bytes = PDF, name: str = "mercy-baa.pdf"):
    return client.put(f"/api/v1/baas/{baa_id}/document", {"document": SimpleUploadedFile(name, content)},
                      format="multipart")  # fmt: skip


def test_draft_to_active_with_a_sealed_document_and_history(api_client, alice, acme):
    api_client.force_authenticate(alice)
    baa = create(api_client)
    assert baa["status"] == "draft" and baa["id"].startswith("baa_")
    assert act(api_client, baa["id"], "send").json()["status"] == "sent"
    no_document = act(api_client, baa["id"], "sign", signatory="Dr. Privacy Officer")
    assert no_document.status_code == 400 and "document" in no_document.json()["errors"]
    assert upload(api_client, baa["id"]).status_code == 200
    signed = act(api_client, baa["id"], "sign", signatory="Pat Lee, Privacy Officer").json()
    assert signed["status"] == "active"  # in force from signature: the effective date has passed
    assert [(h["from"], h["to"]) for h in signed["history"]] == [
        ("", "draft"), ("draft", "sent"), ("sent", "signed"), ("signed", "active"),
    ]  # fmt: skip
    stored = BusinessAssociateAgreement.objects.get(public_id=baa["id"])
    assert stored.business_associate == "paitient"  # the default: agreements recorded without one cover PaiTIENT
    assert baa_in_force(acme, "paitient") == stored and baa_in_force(acme, "aws") is None
    with connection.cursor() as cursor:
        cursor.execute("SELECT document FROM compliance_businessassociateagreement WHERE id = %s", [stored.pk])
        assert b"signed BAA" not in bytes(cursor.fetchone()[0])
    download = api_client.get(f"/api/v1/baas/{baa['id']}/document")
    assert download.status_code == 200 and download.content == PDF
    assert download["Cache-Control"] == "no-store"
    types = list(AuditEvent.objects.filter(resource_id=baa["id"]).values_list("event_type", flat=True))
    assert types == ["baa.created", "baa.sent", "baa.document_uploaded", "baa.signed", "baa.active",
                     "baa.document_downloaded"]  # fmt: skip


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"counterparty": " "}, "counterparty"),
        ({"expiry_date": "2020-01-01", "effective_date": "2021-01-01"}, "expiry_date"),
        ({"effective_date": "2026-01-01", "expiry_date": "2040-01-01"}, "expiry_date"),
        ({"effective_date": "yesterday"}, "effective_date"),
        ({"counterparty_contact": "not-an-email"}, "counterparty_contact"),
        ({"business_associate": "not a host"}, "business_associate"),
        ({"reminder_days": 0}, "reminder_days"),
        ({"colour": "blue"}, "colour"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(api_client, alice, overrides, field):
    api_client.force_authenticate(alice)
    body = {"counterparty": "Clinic", "effective_date": "2026-01-01", "expiry_date": "2027-01-01", **overrides}
    response = api_client.post("/api/v1/baas", body, format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert not BusinessAssociateAgreement.objects.exists()


def test_wrong_transitions_and_documents_are_refused(api_client, alice):
    api_client.force_authenticate(alice)
    baa = create(api_client)
    assert act(api_client, baa["id"], "activate").status_code == 400  # a draft cannot become active
    assert act(api_client, baa["id"], "explode").status_code == 400
    not_pdf = upload(api_client, baa["id"], b"MZ\x90\x00 an executable", "baa.pdf")
    assert not_pdf.status_code == 400 and "document" in not_pdf.json()["errors"]
    assert act(api_client, baa["id"], "terminate").json()["errors"]["reason"]
    terminated = act(api_client, baa["id"], "terminate", reason="counterparty withdrew").json()
    assert terminated["status"] == "terminated"
    assert act(api_client, baa["id"], "send").status_code == 400  # final


def test_renewal_extends_an_expiring_agreement(api_client, alice, acme):
    api_client.force_authenticate(alice)
    today = timezone.localdate()
    baa = create(api_client, expiry_date=(today + timedelta(days=20)).isoformat())
    act(api_client, baa["id"], "send")
    upload(api_client, baa["id"])
    act(api_client, baa["id"], "sign", signatory="Pat Lee")
    baa_refresh()
    assert BusinessAssociateAgreement.objects.get(public_id=baa["id"]).status == "expiring"
    early = act(api_client, baa["id"], "renew", expiry_date=(today + timedelta(days=10)).isoformat())
    assert early.status_code == 400 and "expiry_date" in early.json()["errors"]
    renewed = act(api_client, baa["id"], "renew", expiry_date=(today + timedelta(days=400)).isoformat()).json()
    assert renewed["status"] == "active"
    assert AuditEvent.objects.filter(event_type="baa.renewed", resource_id=baa["id"]).count() == 1


def make(organization, status, effective: date, expiry: date) -> BusinessAssociateAgreement:
    return BusinessAssociateAgreement.objects.create(
        organization=organization, counterparty="Clinic", status=status, effective_date=effective, expiry_date=expiry
    )


def test_the_daily_refresh_activates_flags_reminds_and_expires(acme):
    day = date(2026, 6, 1)
    future_start = make(acme, "signed", date(2026, 6, 1), date(2027, 6, 1))
    near_end = make(acme, "active", date(2025, 6, 1), date(2026, 6, 20))
    past_end = make(acme, "expiring", date(2025, 6, 1), date(2026, 6, 1))
    counts = baa_refresh(on=day)
    assert counts == {"activated": 1, "expiring": 1, "expired": 1, "reminders": 1}
    for baa, status in ((future_start, "active"), (near_end, "expiring"), (past_end, "expired")):
        baa.refresh_from_db()
        assert baa.status == status
    assert baa_refresh(on=day)["reminders"] == 0  # one reminder a day at most
    assert baa_refresh(on=date(2026, 6, 8))["reminders"] == 0  # 12 days left: not a reminder day
    assert baa_refresh(on=date(2026, 6, 13))["reminders"] == 1  # 7 days left
    reminder = AuditEvent.objects.filter(event_type="baa.reminder").order_by("id").last()
    assert reminder is not None
    assert reminder.details == {"days_left": 7, "expiry_date": "2026-06-20"} and reminder.outcome == "success"
    assert baa_in_force(acme, "paitient", on=date(2026, 6, 13)) in {future_start, near_end}
    assert baa_in_force(acme, "paitient", on=date(2026, 6, 20)) == future_start


def test_an_auditor_reads_but_cannot_change_agreements(api_client, alice, acme):
    from tests.conftest import grant
    from tests.factories import UserFactory

    api_client.force_authenticate(alice)
    baa = create(api_client)
    auditor = UserFactory.create(username="auditor1", organization=acme)
    grant(auditor, acme, "auditor")
    api_client.force_authenticate(auditor)
    assert api_client.get(f"/api/v1/baas/{baa['id']}").status_code == 200
    assert act(api_client, baa["id"], "send").status_code == 403
    assert AuditEvent.objects.filter(event_type="access.denied", user_id=auditor.public_id).exists()


def test_the_compliance_report_has_a_baa_section(acme):
    from datetime import datetime, timedelta

    from django.utils import timezone

    from reports.sections import REGISTRY

    today = timezone.localdate()
    make(acme, "active", today - timedelta(days=30), today + timedelta(days=20))
    make(acme, "terminated", today - timedelta(days=400), today + timedelta(days=10))
    now = timezone.now()
    section = REGISTRY["baa"].builder(acme, now - timedelta(days=30), now + timedelta(minutes=1))
    assert section.figure("BAAs in force (business associate)") == "Clinic (paitient)"
    assert section.figure("Agreements on file") == 2
    assert section.figure("Expiring within 60 days") == 1
    assert section.figure("Expired or terminated") == 1
    assert [row[3] for row in section.tables[0].rows] == ["terminated", "active"]
    assert isinstance(now, datetime)


def test_the_compliance_report_has_a_checklist_section(acme):
    from datetime import timedelta

    from django.utils import timezone

    from reports.sections import REGISTRY

    now = timezone.now()
    section = REGISTRY["checklist"].builder(acme, now - timedelta(days=30), now)
    assert len(section.tables[0].rows) == 10
    assert sum(int(value) for _, value in section.figures) == 10
    baa_row = next(row for row in section.tables[0].rows if row[0] == "Business Associate Agreement")
    assert baa_row[1] == "164.308(b)(1), 164.502(e)" and baa_row[2] == "Pass"  # no deployment sends PHI out


def test_send_for_signature_emails_the_contact_with_the_agreement(api_client, alice, mailoutbox,
                                                                  django_capture_on_commit_callbacks):  # fmt: skip
    api_client.force_authenticate(alice)
    baa = create(api_client)
    assert upload(api_client, baa["id"]).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        assert act(api_client, baa["id"], "send").json()["status"] == "sent"
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == ["privacy@mercy.example"] and "for signature" in message.subject
    assert baa["id"] in message.body and "Mercy General Hospital" in message.body
    assert message.attachments[0][0] == "mercy-baa.pdf" and message.attachments[0][1] == PDF
    sent = AuditEvent.objects.get(event_type="baa.sent", resource_id=baa["id"])
    assert sent.details["emailed"] is True and "privacy@" not in str(sent.details)


def test_without_a_contact_nothing_is_emailed_and_the_history_says_so(api_client, alice, mailoutbox,
                                                                      django_capture_on_commit_callbacks):  # fmt: skip
    api_client.force_authenticate(alice)
    baa = create(api_client, counterparty_contact="")
    with django_capture_on_commit_callbacks(execute=True):
        sent = act(api_client, baa["id"], "send").json()
    assert sent["status"] == "sent" and mailoutbox == []
    assert "nothing was e-mailed" in sent["history"][-1]["note"]
