"""Section figures over 100,000 audit events equal what direct queries count; the rendered JSON and CSV carry
them with the audit chain's verification; charts escape labels; the PDF renderer fetches nothing."""

from __future__ import annotations

import csv
import io
import json
import time
from collections import Counter
from datetime import timedelta

import pytest
from django.utils import timezone

from accessctl.actor import Actor
from audit.models import AuditEvent
from audit.services import record
from deployments.models import CatalogModel, Deployment
from reports import charts, sections
from reports.models import ComplianceReport, ReportStatus
from reports.services import report_render, report_request
from tests.reports.bulk import bulk_events

pytestmark = pytest.mark.django_db
EVENTS = 100_000


@pytest.fixture
def busy_acme(acme, alice, bob):
    """Acme with 100,000 events over the last 20 days, and 500 from before the report's period."""
    now = timezone.now()
    deployments = [(f"dep_bulk{i:06d}", f"hipaa-{i}") for i in range(4)]
    users = [alice.public_id, bob.public_id, "user_gone0000000"]
    started = time.perf_counter()
    bulk_events(acme, EVENTS, start=now - timedelta(days=20), end=now - timedelta(minutes=1), user_ids=users,
                deployments=deployments)  # fmt: skip
    bulk_events(acme, 500, start=now - timedelta(days=60), end=now - timedelta(days=40), user_ids=users,
                deployments=deployments, seed=8)  # fmt: skip
    print(f"bulk-created {EVENTS + 500:,} events in {time.perf_counter() - started:.1f} s")
    Deployment.objects.create(
        organization=acme, name="hipaa-0", model=CatalogModel.objects.get(name="ZimaBlueAI/HuatuoGPT-o1-8B"),
        provider="aws", compute_type="gpu", state="ready",
        security_settings={"network_isolation": True, "private_endpoints": True, "encryption_level": "maximum"},
    )  # fmt: skip
    return acme


def period_events(organization, start, end):
    return AuditEvent.objects.filter(chain=organization.public_id, timestamp__gte=start, timestamp__lt=end)


def test_figures_over_100k_events_equal_direct_queries(busy_acme, alice):
    end = timezone.now()
    start = end - timedelta(days=30)
    scope = period_events(busy_acme, start, end)
    assert scope.count() >= EVENTS
    started = time.perf_counter()
    built = {name: sections.build(name, busy_acme, start, end) for name in sections.CORE_SECTIONS}
    print(f"five sections over {scope.count():,} events in {time.perf_counter() - started:.2f} s")

    phi = built["phi_access"]
    inferences = scope.filter(event_type="model.inference")
    assert phi.figure("Model inferences") == inferences.count()
    assert phi.figure("Inferences refused or failed") == inferences.exclude(outcome="success").count()
    assert phi.figure("PHI detection events") == scope.filter(event_type="phi.detection").count()
    found: Counter[str] = Counter()
    for details in scope.filter(event_type="phi.detection").values_list("details", flat=True):
        for part in ("prompt", "response"):
            found.update(details[part])
    assert phi.figure("PHI entities detected") == sum(found.values()) > 0
    by_type = {row[0]: row[3] for row in phi.tables[0].rows}
    assert by_type == dict(found)
    per_deployment = {row[0]: row[2] for row in phi.tables[1].rows}
    assert per_deployment["dep_bulk000002"] == inferences.filter(resource_id="dep_bulk000002").count()
    per_day = {row[0]: row[1] for row in phi.tables[2].rows}
    assert sum(per_day.values()) == inferences.count()
    day = (end - timedelta(days=5)).date()
    on_day = inferences.filter(timestamp__date=day).count()
    assert per_day[day.isoformat()] == on_day > 0

    security = built["security_events"]
    assert security.figure("Access denied") == scope.filter(event_type="access.denied").count()
    assert security.figure("Denied outcomes") == scope.filter(outcome="denied").count()
    assert security.figure("Error outcomes") == scope.filter(outcome="error").count()
    assert security.figure("Role changes") == scope.filter(event_type__startswith="role.").count()
    assert security.figure("Security events") == scope.filter(sections.SECURITY_Q).count()

    auth = built["authentication_events"]
    assert auth.figure("Failed sign-ins") == scope.filter(event_type="auth.login.failed").count()
    assert auth.figure("Lockouts") == scope.filter(event_type="auth.lockout").count()
    assert auth.figure("MFA events") == scope.filter(event_type__startswith="auth.mfa.").count()
    failed_by_alice = scope.filter(event_type="auth.login.failed", user_id=alice.public_id).count()
    assert (f"alice ({alice.public_id})", failed_by_alice) in [row[:2] for row in auth.tables[1].rows]

    activity = built["user_activity"]
    assert activity.figure("Active users") == scope.exclude(user_id="").values("user_id").distinct().count()
    assert activity.figure("Events through API keys") == scope.filter(actor_type="api_key").count()
    events_of_alice = {row[0]: row[1] for row in activity.tables[0].rows}[f"alice ({alice.public_id})"]
    assert events_of_alice == scope.filter(user_id=alice.public_id).count()

    deployments = built["deployments"]
    assert deployments.figure("Deployment events") == scope.filter(event_type__startswith="deployment.").count()
    assert deployments.figure("With private endpoints") == 1


def test_a_rendered_json_report_over_100k_events_carries_the_figures_and_a_verified_chain(busy_acme, alice):
    actor = Actor(organization=busy_acme, user=alice)
    report = report_request(actor=actor, time_period="last_30_days", output_format="json")
    started = time.perf_counter()
    rendered = report_render(report.pk)
    print(f"rendered the JSON report in {time.perf_counter() - started:.2f} s")
    assert rendered is not None and rendered.status == ReportStatus.READY, rendered.error if rendered else None
    document = json.loads(bytes(ComplianceReport.objects.get(pk=report.pk).content))
    scope = period_events(busy_acme, report.period_start, report.period_end)
    assert document["report"]["audit_events_in_period"] == scope.count()
    figures = {s["key"]: s["figures"] for s in document["sections"]}
    assert figures["phi_access"]["Model inferences"] == scope.filter(event_type="model.inference").count()
    chain = document["appendix"]["audit_chain"]
    assert chain["ok"] is True, chain["result"]
    requested = AuditEvent.objects.get(event_type="report.requested", resource_id=report.public_id)
    assert chain["last_seq"] >= requested.seq  # the log up to the request itself was verified
    assert chain["events"] == AuditEvent.objects.filter(chain=busy_acme.public_id, seq__lte=chain["last_seq"]).count()
    assert chain["checkpoint"]["tree_size"] == chain["events"]
    generated = AuditEvent.objects.get(event_type="report.generated", resource_id=report.public_id)
    assert generated.details["sha256"] == rendered.sha256 and generated.details["size"] == rendered.size_bytes
    assert generated.details["counts"]["phi_access"]["Model inferences"] == figures["phi_access"]["Model inferences"]
    # Re-running the task for a finished report changes nothing (idempotent).
    assert report_render(report.pk).sha256 == rendered.sha256  # type: ignore[union-attr]
    assert AuditEvent.objects.filter(event_type="report.generated", resource_id=report.public_id).count() == 1


def test_csv_is_long_form_and_neutralises_formulas(acme, alice):
    actor = Actor(organization=acme, user=alice)
    record(actor=actor, event_type="access.denied", outcome="denied", resource='=HYPERLINK("http://evil")')
    report = report_request(actor=actor, time_period="last_7_days", output_format="csv",
                            include_sections=["security_events"])  # fmt: skip
    rendered = report_render(report.pk)
    assert rendered is not None and rendered.status == ReportStatus.READY
    rows = list(csv.reader(io.StringIO(bytes(rendered.content).decode())))
    assert rows[0] == ["section", "table", "row", "column", "value"]
    assert ["security_events", "figures", "", "Access denied", "1"] in rows
    resources = [row[4] for row in rows if row[3] == "Resource"]
    assert '\'=HYPERLINK("http://evil")' in resources
    assert not any(row[4].startswith("=") for row in rows)


def test_a_failing_section_fails_the_report_visibly_and_audited(acme, alice, monkeypatch):
    def broken(organization, start, end):
        raise RuntimeError("patient John Smith")  # a message that must not reach the log or the report

    monkeypatch.setitem(sections.REGISTRY, "user_activity", sections.SectionSpec("user_activity", "x", broken))
    report = report_request(actor=Actor(organization=acme, user=alice), output_format="pdf")
    rendered = report_render(report.pk)
    assert rendered is not None and rendered.status == ReportStatus.FAILED
    assert rendered.error == "Rendering failed (RuntimeError)."
    failed = AuditEvent.objects.get(event_type="report.failed", resource_id=report.public_id)
    assert failed.outcome == "error" and "John" not in json.dumps(failed.details)


def test_chart_labels_are_escaped():
    chart = sections.Chart("Types <b>", "bars", [("<script>alert(1)</script>", 3), ("NAME", 1)])
    svg = str(charts.render(chart))
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    daily = str(charts.render(sections.Chart("Per day", "daily", [("2026-01-01", 0), ("2026-01-02", 7)])))
    assert daily.count("<rect") == 2 and "2026-01-02" in daily


def test_the_pdf_renderer_refuses_every_url_but_data():
    from core.pdf import LocalOnlyFetcher, RemoteFetchRefused

    fetcher = LocalOnlyFetcher()
    for url in ("http://169.254.169.254/latest/meta-data", "https://example.org/x.css", "file:///etc/passwd"):
        with pytest.raises(RemoteFetchRefused):
            fetcher.fetch(url)
    assert fetcher.fetch("data:text/plain,ok") is not None


def test_when_the_audit_log_refuses_report_generated_nothing_is_stored(acme, alice, monkeypatch):
    from audit.services import AuditError
    from reports import services

    def refusing(**kwargs):
        if kwargs["event_type"] == "report.generated":
            raise AuditError("audit log unavailable")
        return record(**kwargs)

    monkeypatch.setattr(services, "record", refusing)
    report = report_request(actor=Actor(organization=acme, user=alice), output_format="json")
    rendered = report_render(report.pk)
    assert rendered is not None and rendered.status == ReportStatus.FAILED
    assert rendered.error == "Storing failed (AuditError)."
    stored = ComplianceReport.objects.get(pk=report.pk)
    assert stored.content is None and stored.sha256 == ""
    assert AuditEvent.objects.filter(event_type="report.failed", resource_id=report.public_id).exists()


def test_the_daily_table_lists_only_days_with_activity(acme, alice):
    from accessctl.actor import Actor
    from audit.services import record

    record(actor=Actor(organization=acme, user=alice), event_type="model.inference", resource="deployment/a",
           resource_id="dep_aaaaaaaaaa")  # fmt: skip
    end = timezone.now() + timedelta(minutes=1)
    section = sections.build("phi_access", acme, end - timedelta(days=30), end)
    table = next(t for t in section.tables if t.title == "Days with activity")
    assert len(table.rows) == 1 and table.rows[0][1] == 1  # not thirty rows of zeros
    assert len(section.charts[0].points) >= 30  # the chart still shows every day
