"""The audit events of the recovery sweep (core/recovery.py): a job queued again, or given up, after a crash."""

from __future__ import annotations

from typing import Any

from accessctl.models import Organization
from audit.models import Outcome
from audit.services import record
from core.models import JobRun


def record_job_event(run: JobRun, event_type: str, details: dict[str, Any]) -> None:
    organization = Organization.objects.filter(pk=run.organization_id).first() if run.organization_id else None
    record(
        actor=None,
        organization=organization,
        event_type=event_type,
        outcome=Outcome.ERROR if event_type == "job.failed" else Outcome.SUCCESS,
        resource=f"job/{run.kind}",
        resource_id=run.resource_id,
        details=details,
    )
