"""Requesting reports over REST: bad input is a 400 naming the field, permissions hold, other organisations'
reports do not exist, and a request is audited and queued for a worker with the report's id only."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from reports.models import ComplianceReport, ReportStatus
from reports.services import report_request

pytestmark = pytest.mark.django_db

SEED_BODY = {
    "report_type": "hipaa",
    "time_period": "last_30_days",
    "include_sections": ["phi_access", "security_events", "authentication_events", "user_activity"],
    "output_format": "pdf",
}


def test_olivia_requests_the_seed_report_and_a_worker_is_queued_with_its_id(
    api_client, olivia, django_capture_on_commit_callbacks, monkeypatch
):
    queued: list[tuple[object, ...]] = []
    monkeypatch.setattr("reports.tasks.render_report.delay", lambda *args: queued.append(args))
    api_client.force_authenticate(olivia)
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.post("/api/v1/reports", SEED_BODY, format="json")
    assert response.status_code == 202, response.json()
    body = response.json()
    assert body["id"].startswith("rpt_") and body["status"] == "queued" and body["url"] is None
    assert body["include_sections"] == SEED_BODY["include_sections"]
    report = ComplianceReport.objects.get(public_id=body["id"])
    assert queued == [(report.pk,)]
    assert report.period_end - report.period_start == timedelta(days=30)
    event = AuditEvent.objects.get(event_type="report.requested", resource_id=report.public_id)
    assert event.user_id == olivia.public_id and event.details["sections"] == SEED_BODY["include_sections"]


def test_sections_default_to_every_section_of_the_report_type(api_client, olivia):
    api_client.force_authenticate(olivia)
    body = api_client.post("/api/v1/reports", {"output_format": "json"}, format="json").json()
    from reports.sections import REGISTRY

    assert body["include_sections"][:2] == ["baa", "checklist"]  # the report type's own sections first
    assert body["include_sections"][2:7] == [
        "phi_access", "security_events", "authentication_events", "user_activity", "deployments",
    ]  # fmt: skip
    assert set(body["include_sections"]) == set(REGISTRY) - {"soc2"}  # the compliance app's sections too
    assert {"baa", "checklist"} <= set(REGISTRY)
    assert body["time_period"] == "last_30_days"
    soc2 = api_client.post("/api/v1/reports", {"report_type": "soc2", "output_format": "json"}, format="json").json()
    assert soc2["report_type"] == "soc2"
    assert soc2["include_sections"][0] == "soc2"
    assert not {"baa", "checklist"} & set(soc2["include_sections"])


@pytest.mark.parametrize(
    ("changes", "field", "says"),
    [
        ({"report_type": "sox"}, "report_type", "valid choice"),
        ({"time_period": "last_year"}, "time_period", "valid choice"),
        ({"output_format": "docx"}, "output_format", "valid choice"),
        ({"include_sections": ["phi_access", "gossip"]}, "include_sections", "phi_access, security_events"),
        ({"include_sections": ["payroll"]}, "include_sections", "Unknown section 'payroll'"),
        ({"include_sections": []}, "include_sections", "at least one"),
        ({"time_period": "custom"}, "start_date", "needs start_date and end_date"),
        ({"time_period": "custom", "start_date": "2026-01-01"}, "end_date", "needs start_date and end_date"),
        ({"time_period": "custom", "start_date": "yesterday", "end_date": "2026-01-02"}, "start_date", "YYYY-MM-DD"),
        ({"time_period": "custom", "start_date": "2025-03-10", "end_date": "2025-03-01"}, "end_date", "after"),
        ({"time_period": "custom", "start_date": "2023-01-01", "end_date": "2025-01-01"}, "end_date", "400 days"),
        ({"start_date": "2025-01-01"}, "start_date", "only with time_period custom"),
        ({"colour": "blue"}, "colour", "Unknown field"),
    ],
)
def test_bad_requests_get_400_naming_the_field(api_client, olivia, changes, field, says):
    api_client.force_authenticate(olivia)
    response = api_client.post("/api/v1/reports", {**SEED_BODY, **changes}, format="json")
    assert response.status_code == 400, response.json()
    problem = response.json()
    assert list(problem["errors"]) == [field]
    assert says in " ".join(problem["errors"][field])
    assert not ComplianceReport.objects.exists()


def test_a_custom_period_may_not_end_in_the_future(api_client, olivia):
    api_client.force_authenticate(olivia)
    tomorrow = (timezone.now() + timedelta(days=1)).date().isoformat()
    start = (timezone.now() - timedelta(days=3)).date().isoformat()
    body = {**SEED_BODY, "time_period": "custom", "start_date": start, "end_date": tomorrow}
    response = api_client.post("/api/v1/reports", body, format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == {"end_date": ["Must not be in the future."]}


def test_a_custom_period_covers_whole_days_and_stops_at_now(olivia, acme):
    from accessctl.actor import Actor

    today = timezone.now().date()
    report = report_request(
        actor=Actor(organization=acme, user=olivia),
        time_period="custom",
        start_date=(today - timedelta(days=2)).isoformat(),
        end_date=today.isoformat(),
        output_format="json",
    )
    assert report.period_start.date() == today - timedelta(days=2)
    assert report.period_start.hour == 0 and report.period_end <= timezone.now()
    single = report_request(
        actor=Actor(organization=acme, user=olivia), time_period="custom",
        start_date="2025-05-01", end_date="2025-05-01", output_format="csv",
    )  # fmt: skip
    assert single.period_end - single.period_start == timedelta(days=1)


def test_the_auditor_reads_but_may_not_generate(api_client, erin, olivia, acme):
    from accessctl.actor import Actor

    report = report_request(actor=Actor(organization=acme, user=olivia), output_format="json")
    api_client.force_authenticate(erin)
    refused = api_client.post("/api/v1/reports", SEED_BODY, format="json")
    assert refused.status_code == 403
    assert "report:generate" in refused.json()["detail"]
    assert AuditEvent.objects.filter(event_type="access.denied", user_id=erin.public_id).exists()
    listed = api_client.get("/api/v1/reports").json()
    assert [row["id"] for row in listed["results"]] == [report.public_id]
    assert "next" in listed
    detail = api_client.get(f"/api/v1/reports/{report.public_id}").json()
    assert detail["status"] == "queued" and detail["progress"] == {"percent": 0, "stage": ""}


def test_bob_without_roles_is_refused_everything(api_client, bob, olivia, acme):
    from accessctl.actor import Actor

    report = report_request(actor=Actor(organization=acme, user=olivia), output_format="json")
    api_client.force_authenticate(bob)
    assert api_client.get("/api/v1/reports").status_code == 403
    assert api_client.get(f"/api/v1/reports/{report.public_id}").status_code == 403
    assert api_client.post("/api/v1/reports", SEED_BODY, format="json").status_code == 403


def test_another_organisations_report_is_not_found(api_client, alice, charlie, globex):
    from accessctl.actor import Actor

    theirs = report_request(actor=Actor(organization=globex, user=charlie), output_format="json")
    ComplianceReport.objects.filter(pk=theirs.pk).update(status=ReportStatus.READY)
    api_client.force_authenticate(alice)
    assert api_client.get(f"/api/v1/reports/{theirs.public_id}").status_code == 404
    assert api_client.get(f"/api/v1/reports/{theirs.public_id}/download?token=x").status_code == 404
    assert theirs.public_id not in {r["id"] for r in api_client.get("/api/v1/reports").json()["results"]}


def test_a_section_other_apps_register_becomes_valid(api_client, olivia, monkeypatch):
    from reports import sections

    def checklist(organization, start, end):
        return sections.Section("checklist", "Checklist", "", [("Items passing", 10)])

    monkeypatch.setitem(sections.REGISTRY, "checklist", sections.SectionSpec("checklist", "Checklist", checklist))
    api_client.force_authenticate(olivia)
    body = {**SEED_BODY, "include_sections": ["checklist", "phi_access"]}
    response = api_client.post("/api/v1/reports", body, format="json")
    assert response.status_code == 202
    assert response.json()["include_sections"] == ["checklist", "phi_access"]
