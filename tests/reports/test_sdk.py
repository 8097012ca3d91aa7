"""The SDK's report calls against a scripted server (httpx mock transport): polling, typed failure, the download
checked against its SHA-256, and the API key never sent to another host."""

from __future__ import annotations

import hashlib
import json
from datetime import date

import httpx
import pytest
from paitient_secure_model import Client, ComplianceReport, PaiTIENTError, ReportFailedError

PDF = b"%PDF-1.7 fake"


def report_body(status: str, **extra: object) -> dict[str, object]:
    return {
        "id": "rpt_abc", "status": status, "report_type": "hipaa", "time_period": "custom",
        "period_start": "2026-01-01T00:00:00Z", "period_end": "2026-01-08T00:00:00Z",
        "include_sections": ["phi_access"], "output_format": "pdf", "progress": {"percent": 40, "stage": "x"},
        "error": "", "sha256": hashlib.sha256(PDF).hexdigest() if status == "ready" else "", "url": None, **extra,
    }  # fmt: skip


def scripted(statuses: list[str], *, url: str = "https://paitient.test/api/v1/reports/rpt_abc/download?token=t"):
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.method == "POST":
            return httpx.Response(202, json=report_body("queued"))
        if request.url.path.endswith("/download"):
            return httpx.Response(200, content=PDF, headers={"Content-Type": "application/pdf"})
        status = statuses.pop(0) if len(statuses) > 1 else statuses[0]
        extra = {"url": url} if status == "ready" else {"error": "Rendering failed (RuntimeError)."}
        return httpx.Response(200, json=report_body(status, **extra))

    client = Client("https://paitient.test", "psk_x_y", http_transport=httpx.MockTransport(handler))
    return client, seen


def test_generate_posts_the_arguments_and_polls_until_ready():
    client, seen = scripted(["queued", "rendering", "ready"])
    report = client.generate_compliance_report(
        time_period="custom", start_date=date(2026, 1, 1), end_date="2026-01-07",
        include_sections=("phi_access",), poll_interval=0.01,
    )  # fmt: skip
    assert isinstance(report, ComplianceReport) and report.status == "ready"
    assert report.url == "https://paitient.test/api/v1/reports/rpt_abc/download?token=t"
    assert json.loads(seen[0].content) == {
        "report_type": "hipaa", "time_period": "custom", "output_format": "pdf",
        "include_sections": ["phi_access"], "start_date": "2026-01-01", "end_date": "2026-01-07",
    }  # fmt: skip
    assert [r.method for r in seen] == ["POST", "GET", "GET", "GET"]
    assert report.download() == PDF
    assert seen[-1].headers["Authorization"] == "Bearer psk_x_y"


def test_a_failed_report_raises_a_typed_error():
    client, _ = scripted(["rendering", "failed"])
    with pytest.raises(ReportFailedError, match="Rendering failed") as failure:
        client.generate_compliance_report(poll_interval=0.01)
    assert failure.value.report_id == "rpt_abc"


def test_waiting_gives_up_after_the_timeout():
    client, _ = scripted(["rendering"])
    with pytest.raises(TimeoutError, match="rpt_abc"):
        client.generate_compliance_report(timeout=0.05, poll_interval=0.01)


def test_without_wait_the_queued_report_comes_back_at_once():
    client, seen = scripted(["ready"])
    report = client.generate_compliance_report(wait=False)
    assert report.status == "queued" and len(seen) == 1


def test_the_api_key_goes_only_to_the_configured_host():
    client, seen = scripted(["ready"], url="https://elsewhere.example/api/v1/reports/rpt_abc/download?token=t")
    assert client.get_compliance_report("rpt_abc").download() == PDF
    assert seen[-1].url.host == "paitient.test" and seen[-1].url.query == b"token=t"


def test_a_download_that_does_not_match_its_sha256_is_refused():
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/download"):
            return httpx.Response(200, content=b"%PDF-1.7 swapped on the way")
        return httpx.Response(200, json=report_body("ready", url="https://paitient.test/x/download?token=t"))

    client = Client("https://paitient.test", "psk_x_y", http_transport=httpx.MockTransport(handler))
    with pytest.raises(PaiTIENTError, match="does not match its recorded SHA-256"):
        client.get_compliance_report("rpt_abc").download()
