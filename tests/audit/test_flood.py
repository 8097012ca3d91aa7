"""Anonymous failures cannot grow the audit chain without limit: they are aggregated per address."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_a_hundred_bad_api_keys_write_a_handful_of_events_with_the_count_then_get_429():
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer psk_deadbeef0000_notasecret")
    statuses = [client.get("/api/v1/me").status_code for _ in range(100)]
    assert statuses[:60] == [401] * 60 and set(statuses[60:]) == {429}
    events = AuditEvent.objects.filter(event_type="auth.api_key.failed").order_by("id")
    assert [e.details["repeats"] for e in events] == [1, 2, 4, 8, 16, 32]  # log2, the last says how many


def test_failed_sign_ins_for_unknown_names_are_aggregated_per_address(client):
    for n in range(20):
        client.post("/login/", {"username": f"nobody{n}", "password": "wrong password here"})
    events = AuditEvent.objects.filter(event_type="auth.login.failed")
    assert sorted(e.details["repeats"] for e in events) == [1, 2, 4, 8, 16]
