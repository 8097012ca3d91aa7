"""Compliance reports for the Client: request, poll until a worker has rendered it, download."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Sequence
from datetime import date
from typing import Any

from paitient_secure_model.errors import PaiTIENTError, ReportFailedError
from paitient_secure_model.models import ComplianceReport
from paitient_secure_model.transport import Transport

FINISHED = {"ready", "failed"}


def _day(value: str | date | None) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return value.isoformat()


class Reports:
    def __init__(self, transport: Transport) -> None:
        self._transport = transport

    def get(self, report_id: str) -> ComplianceReport:
        data = self._transport.request("GET", f"/api/v1/reports/{report_id}")
        return ComplianceReport.from_api(data, self.download)

    def create(
        self,
        *,
        report_type: str,
        time_period: str,
        include_sections: Sequence[str] | None,
        output_format: str,
        start_date: str | date | None,
        end_date: str | date | None,
    ) -> ComplianceReport:
        body: dict[str, Any] = {"report_type": report_type, "time_period": time_period, "output_format": output_format}
        if include_sections is not None:
            body["include_sections"] = list(include_sections)
        for name, value in (("start_date", _day(start_date)), ("end_date", _day(end_date))):
            if value is not None:
                body[name] = value
        return ComplianceReport.from_api(self._transport.request("POST", "/api/v1/reports", json=body), self.download)

    def wait(self, report: ComplianceReport, *, timeout: float, poll_interval: float) -> ComplianceReport:
        """Poll until rendered; raises ReportFailedError, or TimeoutError after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        interval = min(0.25, poll_interval)
        while report.status not in FINISHED:
            if time.monotonic() >= deadline:
                raise TimeoutError(
                    f"report {report.id} not ready after {timeout:.0f} s ({report.status}, {report.progress_percent}%)"
                )
            time.sleep(interval)
            interval = min(interval * 2, poll_interval)
            report = self.get(report.id)
        if report.status == "failed":
            raise ReportFailedError(f"report {report.id} failed: {report.error}", report_id=report.id)
        return report

    def download(self, report_id: str) -> bytes:
        """The report's file, through a freshly signed link; checked against the SHA-256 the service recorded."""
        report = self.get(report_id)
        if report.url is None:
            raise PaiTIENTError(f"report {report_id} is {report.status}: nothing to download yet")
        data = self._transport.download(report.url)
        if report.sha256 and hashlib.sha256(data).hexdigest() != report.sha256:
            raise PaiTIENTError(f"report {report_id}: the download does not match its recorded SHA-256")
        return data
