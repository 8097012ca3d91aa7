"""A real Celery worker renders the PDF: its first page converts to PNG (poppler's pdftoppm), and its text
(pdftotext) holds every section title and the figures a direct query counts."""

from __future__ import annotations

import re
import shutil
import subprocess
import time

import pytest

from accessctl.actor import Actor
from audit.models import AuditEvent
from audit.services import record

pytestmark = [
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not shutil.which("pdftoppm"), reason="needs poppler-utils (scripts/test installs it)"),
]


def wait_until_finished(api_client, report_id: str, timeout: float = 120.0) -> dict[str, object]:
    deadline = time.monotonic() + timeout
    while True:
        body: dict[str, object] = api_client.get(f"/api/v1/reports/{report_id}").json()
        if body["status"] in {"ready", "failed"}:
            return body
        assert time.monotonic() < deadline, f"report still {body['status']} after {timeout:.0f} s"
        time.sleep(0.3)


def test_the_worker_renders_a_pdf_with_titles_and_figures(celery_worker, api_client, acme, alice, olivia, tmp_path):
    actor = Actor(organization=acme, user=alice, ip="10.0.0.7")
    for _ in range(3):
        record(actor=actor, event_type="model.inference", resource="deployment/hipaa-a", resource_id="dep_a")
    record(actor=actor, event_type="phi.detection", resource="deployment/hipaa-a", resource_id="dep_a",
           details={"prompt": {"NAME": 2, "DATE": 1}, "response": {"NAME": 1}})  # fmt: skip
    for _ in range(2):
        record(actor=None, organization=acme, user=alice, event_type="auth.login.failed", outcome="denied")
    record(actor=actor, event_type="access.denied", outcome="denied", resource="audit/log")

    api_client.force_authenticate(olivia)
    created = api_client.post("/api/v1/reports", {"time_period": "last_7_days", "output_format": "pdf"}, format="json")
    assert created.status_code == 202
    report = wait_until_finished(api_client, str(created.json()["id"]))
    assert report["status"] == "ready", report["error"]
    assert report["progress"] == {"percent": 100, "stage": "ready"}
    pdf = api_client.get(str(report["url"])).content
    assert pdf.startswith(b"%PDF-")
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)

    subprocess.run(["pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "1", str(path), str(tmp_path / "page")],  # noqa: S603, S607
                   check=True, timeout=60)  # fmt: skip
    pages = sorted(tmp_path.glob("page*.png"))
    assert len(pages) == 1 and pages[0].read_bytes().startswith(b"\x89PNG") and pages[0].stat().st_size > 5000

    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True,  # noqa: S603, S607
                          timeout=60).stdout.decode()  # fmt: skip
    for title in (
        "HIPAA compliance report",
        "PHI access",
        "Security events",
        "Authentication events",
        "User activity",
        "Deployments",
        "Appendix: audit chain verification",
        "Latest signed checkpoint",
    ):
        assert title in text, title  # fmt: skip
    scope = AuditEvent.objects.filter(chain=acme.public_id, timestamp__gte=report["period_start"],
                                      timestamp__lt=report["period_end"])  # fmt: skip

    def figure(label: str) -> int:
        match = re.search(rf"^\s*{re.escape(label)}\s+([\d,]+)\s*$", text, re.MULTILINE)
        assert match, label
        return int(match.group(1).replace(",", ""))

    assert figure("Model inferences") == scope.filter(event_type="model.inference").count() == 3
    assert figure("PHI entities detected") == 4
    assert figure("Failed sign-ins") == scope.filter(event_type="auth.login.failed").count() == 2
    assert figure("Access denied") == scope.filter(event_type="access.denied").count()
    assert figure("Denied outcomes") == scope.filter(outcome="denied").count()
    assert figure("Active users") == scope.exclude(user_id="").values("user_id").distinct().count()
    assert "Audit chain verified." in text
    generated = AuditEvent.objects.get(event_type="report.generated", resource_id=report["id"])
    assert generated.details["sha256"] == report["sha256"] and generated.details["size"] == len(pdf)
