"""The audit log in the console: filters, detail, live verification, export, retention, auth events."""

from __future__ import annotations

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from audit.services import record
from tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db


def test_sign_in_failure_and_sign_out_are_recorded_without_secrets(client, alice):
    client.post("/login/", {"username": "alice", "password": "hunter2-wrong"})
    client.post("/login/", {"username": "correct horse battery staple", "password": "x"})  # password typed as name
    client.post("/login/", {"username": "alice", "password": TEST_PASSWORD})
    client.post("/logout/")
    chain = alice.memberships.get().organization.public_id
    types = list(AuditEvent.objects.filter(chain=chain).order_by("id").values_list("event_type", "outcome"))
    assert ("auth.login.failed", "denied") in types
    assert ("auth.login.succeeded", "success") in types
    assert ("auth.logout", "success") in types
    failed = AuditEvent.objects.get(chain=chain, event_type="auth.login.failed")
    assert failed.user_id == alice.public_id
    assert failed.ip == "127.0.0.1"
    unknown = AuditEvent.objects.get(chain="platform", event_type="auth.login.failed")
    assert unknown.details["known_user"] is False
    everything = " ".join(str(row) for row in AuditEvent.objects.values_list())
    assert "hunter2" not in everything and "horse battery" not in everything


def test_log_page_filters_and_links_to_detail(client, alice, acme):
    from accessctl.actor import Actor

    actor = Actor(organization=acme, user=alice)
    wanted = record(actor=actor, event_type="phi.detection", resource="deployment/a", resource_id="dep_aaaaaaaaaa")
    record(actor=actor, event_type="model.inference", resource="deployment/a", resource_id="dep_aaaaaaaaaa")
    client.force_login(alice)
    response = client.get("/audit/", {"event_type": "phi.detection"})
    assert response.status_code == 200
    shown = [event.event_id for event in response.context["page"]]
    assert shown == [wanted.event_id]
    detail = client.get(f"/audit/events/{wanted.event_id}")
    assert detail.status_code == 200
    assert wanted.leaf_hash in detail.content.decode()


def test_bad_filter_is_a_form_error_and_shows_no_rows_not_the_unfiltered_log(client, alice):
    client.force_login(alice)
    client.get("/audit/")  # some events exist (the page view itself records none, sign-in did)
    response = client.get("/audit/", {"user": "nobody-here", "start_time": "yesterday-ish"})
    assert response.status_code == 200
    assert response.context["form"].errors.keys() == {"user", "start_time"}
    assert list(response.context["page"]) == []
    assert 'data-testid="filter-errors"' in response.content.decode()


def test_other_organisations_events_are_not_found(client, alice, charlie, globex):
    from accessctl.actor import Actor

    theirs = record(actor=Actor(organization=globex, user=charlie), event_type="model.inference")
    client.force_login(alice)
    assert client.get(f"/audit/events/{theirs.event_id}").status_code == 404


def test_verification_panel_reports_the_chain(client, alice):
    client.force_login(alice)
    html = client.get("/audit/verify").content.decode()
    assert "Verified." in html and "BEGIN PUBLIC KEY" in html


def test_retention_below_six_years_in_hipaa_mode_is_warned_like_the_checklist_and_can_be_raised(client, alice, acme):
    """The audit page and the checklist's Audit Logging item ask the same: a year without HIPAA mode, six
    years (2,190 days) with it."""
    from accessctl.security import settings_for
    from compliance.evaluators import audit_logging

    def checklist_fails() -> bool:
        return any("Audit logs are kept" in reason for reason in audit_logging(acme, timezone.localdate()).reasons)

    client.force_login(alice)
    assert client.get("/audit/").context["retention_shortfall"] is None and not checklist_fails()  # 365, no HIPAA
    policy = settings_for(acme)
    policy.hipaa_mode = True
    policy.save()
    shortfall = client.get("/audit/").context["retention_shortfall"]
    assert "at least 2,190" in shortfall and checklist_fails()
    response = client.post("/audit/policy", {"log_retention_days": "2190", "legal_hold_reason": ""}, follow=True)
    assert response.context["retention_shortfall"] is None and not checklist_fails()
    assert AuditEvent.objects.filter(event_type="settings.changed", user_id=alice.public_id).exists()


def test_invalid_retention_is_a_message_and_changes_nothing(client, alice):
    client.force_login(alice)
    response = client.post("/audit/policy", {"log_retention_days": "3", "legal_hold": "on"}, follow=True)
    text = response.content.decode()
    assert "log retention days" in text and "legal hold reason" in text
    assert not AuditEvent.objects.filter(event_type="settings.changed").exists()


def test_export_from_the_console_is_a_zip(client, alice):
    client.force_login(alice)
    response = client.post("/audit/export")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="audit-org_')
