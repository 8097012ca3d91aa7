"""SOC 2: the Trust Services Criteria evaluated from the same live evidence as the HIPAA checklist, in the API,
the console and a rendered PDF report with the criteria and the evidence behind each."""

from __future__ import annotations

import shutil
import subprocess
from datetime import timedelta

import pytest
from django.utils import timezone

from accessctl.actor import Actor
from accessctl.models import Role
from accessctl.services import role_create
from compliance.facts import facts_line
from compliance.soc2 import CRITERIA, evaluate_soc2
from incidents.models import Incident, RiskAssessment
from reports.models import ComplianceReport, ReportType
from reports.render import collect, render_pdf
from reports.services import resolve_sections

pytestmark = pytest.mark.django_db


def test_every_criterion_has_sources_and_the_security_criteria_are_covered(acme):
    results = evaluate_soc2(acme)
    assert set(results) == set(CRITERIA)
    assert {"CC6.1", "CC6.2", "CC6.3", "CC6.6", "CC6.7", "CC7.2", "CC7.3", "CC7.4", "CC8.1"} <= set(results)
    for result in results.values():
        assert result.sources, result.criterion.id
        # the criterion is never better than its worst source
        statuses = {s.result.status for s in result.sources}
        assert result.status in statuses


def test_a_failing_checklist_item_fails_the_criteria_it_evidences(acme, alice):
    # a fresh organisation does not require MFA: the access controls item fails, and with it CC6.1 and CC6.3
    results = evaluate_soc2(acme)
    for cid in ("CC6.1", "CC6.3"):
        assert results[cid].status == "fail"
        assert any("MFA" in reason for reason in results[cid].reasons)
        assert any(s.source == "checklist:access_controls" for s in results[cid].sources)


def test_change_management_counts_changes_by_category_with_their_actor(acme, alice):
    before = evaluate_soc2(acme)["CC8.1"]
    source = next(s for s in before.sources if s.source == "check:change_management")
    roles_before = source.result.facts["changes_recorded"].get("Roles and assignments", 0)
    role_create(actor=Actor(organization=acme, user=alice), name="night-shift", permissions=["audit:read"])
    after = evaluate_soc2(acme)["CC8.1"]
    source = next(s for s in after.sources if s.source == "check:change_management")
    assert source.result.facts["changes_recorded"]["Roles and assignments"] == roles_before + 1
    assert source.result.status == "pass"


def test_a_change_made_anonymously_fails_change_management(acme):
    from audit.services import record

    record(actor=None, organization=acme, event_type="settings.changed", request=_anonymous_request())
    result = evaluate_soc2(acme)["CC8.1"]
    assert result.status == "fail"
    assert any("security settings" in reason and "name no actor" in reason for reason in result.reasons)


def _anonymous_request():
    from django.test import RequestFactory

    return RequestFactory().post("/x", REMOTE_ADDR="127.0.0.1")


def test_a_dormant_member_makes_provisioning_expiring(acme, alice):
    alice.last_login = timezone.now() - timedelta(days=200)
    alice.save(update_fields=["last_login"])
    result = evaluate_soc2(acme)["CC6.2"]
    assert result.status == "expiring"
    assert "alice" in result.sources[0].result.facts["dormant_members"]
    alice.last_login = timezone.now()
    alice.save(update_fields=["last_login"])
    assert evaluate_soc2(acme)["CC6.2"].status == "pass"


def test_an_unassessed_incident_fails_triage_until_it_is_assessed(acme):
    incident = Incident.objects.create(
        organization=acme, title="Lost laptop", discovered_at=timezone.now() - timedelta(days=10), source="manual"
    )
    result = evaluate_soc2(acme)["CC7.3"]
    assert result.status == "fail"
    assert any("without a risk assessment" in reason for reason in result.reasons)
    RiskAssessment.objects.create(
        organization=acme, incident=incident, version=1, nature_extent="limited", recipient="internal",
        acquired="not_acquired", mitigation="full", reidentification="low", identifier_types=["names"],
        result="low_probability", affected_individuals=1, affected_by_jurisdiction={}, scores={},
    )  # fmt: skip
    triage = next(s for s in evaluate_soc2(acme)["CC7.3"].sources if s.source == "check:incidents_triaged")
    assert triage.result.status == "pass"
    assert triage.result.facts["incidents_assessed"] == 1


def test_facts_line_is_readable_and_bounded():
    line = facts_line({"members": 3, "require_mfa": False, "dormant": ["a", "b", "c", "d"],
                       "audit_chain": {"result": "12 events verified", "ok": True}})  # fmt: skip
    assert line == "Members: 3; Require MFA: no; Dormant: a, b, c, d; Audit chain: 12 events verified"
    assert len(facts_line({"x": "y" * 1000})) == 240


def test_the_api_shows_either_framework_and_names_a_bad_one(api_client, acme, alice):
    api_client.force_authenticate(alice)
    soc2 = api_client.get("/api/v1/compliance/checklist", {"framework": "soc2"})
    assert soc2.status_code == 200
    body = soc2.json()
    assert body["framework"] == "soc2"
    assert [c["id"] for c in body["criteria"]] == list(CRITERIA)
    cc61 = next(c for c in body["criteria"] if c["id"] == "CC6.1")
    assert {s["source"] for s in cc61["sources"]} >= {"checklist:access_controls", "checklist:encryption"}
    assert sum(body["summary"].values()) == len(CRITERIA)
    hipaa = api_client.get("/api/v1/compliance/checklist").json()
    assert len(hipaa["items"]) == 10
    bad = api_client.get("/api/v1/compliance/checklist", {"framework": "iso27001"})
    assert bad.status_code == 400
    assert "framework" in bad.content.decode()


def test_the_console_switches_framework(client, acme, alice):
    client.force_login(alice)
    page = client.get("/compliance/", {"framework": "soc2"})
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-criterion="CC8.1"' in html and "Change management" in html
    assert 'href="?framework=hipaa"' in html
    assert 'href="?framework=soc2"' in client.get("/compliance/").content.decode()
    assert client.get("/compliance/", {"framework": "nope"}).status_code == 404


def test_a_soc2_report_defaults_to_the_criteria_not_the_hipaa_checklist():
    soc2 = resolve_sections(None, ReportType.SOC2)
    hipaa = resolve_sections(None, ReportType.HIPAA)
    assert "soc2" in soc2 and "checklist" not in soc2 and "baa" not in soc2
    assert "soc2" not in hipaa and {"checklist", "baa"} <= set(hipaa)
    assert "security_events" in soc2 and "security_events" in hipaa


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="needs poppler-utils (scripts/test installs it)")
def test_the_soc2_report_renders_as_pdf_with_criteria_and_evidence(acme, alice, tmp_path):
    now = timezone.now()
    Role.objects.filter(organization=acme).count()  # the organisation's built-in roles exist
    report = ComplianceReport.objects.create(
        organization=acme, requested_by=alice, report_type=ReportType.SOC2, time_period="last_30_days",
        period_start=now - timedelta(days=30), period_end=now, sections=resolve_sections(None, ReportType.SOC2),
        output_format="pdf",
    )  # fmt: skip
    pdf = render_pdf(collect(report))
    assert pdf.startswith(b"%PDF-")
    path = tmp_path / "soc2.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True,  # noqa: S603, S607
                          timeout=60).stdout.decode()  # fmt: skip
    assert "SOC 2 report: Trust Services Criteria" in text
    assert "HIPAA compliance checklist" not in text
    for criterion in ("CC6.1", "CC6.2", "CC7.3", "CC8.1", "C1.2"):
        assert criterion in text, criterion
    assert "Evidence behind each criterion" in text
    assert "Changes recorded" in text  # a SOC 2-only check, named as evidence (its cell may wrap)
    assert "Appendix: audit chain verification" in text
