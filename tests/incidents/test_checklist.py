"""The checklist's incident-response item fails while a notifiable breach is past a deadline without a record."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from compliance.checklist import EXTRA_CHECKS
from incidents.checks import notifications_on_time
from incidents.models import NotificationRecord
from tests.incidents.helpers import notifiable_incident

pytestmark = pytest.mark.django_db


def test_the_check_is_registered_on_incident_response():
    assert notifications_on_time in EXTRA_CHECKS["incident_response"]


def test_no_breach_passes(acme):
    result = notifications_on_time(acme, timezone.localdate())
    assert result.status == "pass" and result.facts["notifiable_breaches"] == 0


def test_overdue_soon_and_recorded(acme):
    incident = notifiable_incident(acme)  # 10 individuals in CA: individual notice + HHS annual log
    discovered = timezone.localdate(incident.discovered_at)
    assert notifications_on_time(acme, discovered).status == "pass"
    soon = notifications_on_time(acme, discovered + timedelta(days=55))
    assert soon.status == "expiring" and f"{incident.public_id} individual" in soon.reasons[0]
    late = notifications_on_time(acme, discovered + timedelta(days=61))
    assert late.status == "fail" and late.facts["notifications_overdue"] == 1
    NotificationRecord.objects.create(
        organization=acme, incident=incident, kind="individual", notified_on=discovered + timedelta(days=30)
    )
    assert notifications_on_time(acme, discovered + timedelta(days=61)).status == "pass"
    year_end = date(discovered.year + 1, 3, 5)
    assert notifications_on_time(acme, year_end).status == "fail"  # the HHS annual log is now overdue


def test_a_low_probability_assessment_needs_no_notification(acme):
    incident = notifiable_incident(acme, result="low_probability")
    day = timezone.localdate(incident.discovered_at) + timedelta(days=90)
    assert notifications_on_time(acme, day).status == "pass"
