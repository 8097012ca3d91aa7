"""Incident test data: a notifiable breach with a ready notice, and audit events written at a chosen time."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import pytest
from django.utils import timezone

from accessctl.models import Organization
from incidents.models import Incident, Notice, RiskAssessment


def notifiable_incident(organization: Organization, **assessment: Any) -> Incident:
    incident = Incident.objects.create(
        organization=organization, title="Laptop stolen", severity="high", discovered_at=timezone.now(), source="manual"
    )
    fields: dict[str, Any] = {
        "nature_extent": "extensive",
        "recipient": "external",
        "acquired": "acquired",
        "mitigation": "none",
        "reidentification": "high",
        "identifier_types": ["names", "diagnoses"],
        "result": "notifiable_breach",
        "affected_individuals": 10,
        "affected_by_jurisdiction": {"CA": 10},
        "scores": {"nature_extent": 2, "recipient": 2, "acquired": 2, "mitigation": 2},
        **assessment,
    }
    RiskAssessment.objects.create(organization=organization, incident=incident, version=1, **fields)
    content = b"%PDF-1.4 matrix notice"
    Notice.objects.create(
        organization=organization,
        incident=incident,
        kind="individual",
        status="ready",
        content=content,
        sha256="0" * 64,
        size_bytes=len(content),
    )
    return incident


@contextmanager
def at(monkeypatch: pytest.MonkeyPatch, when: datetime) -> Iterator[None]:
    """Audit events recorded inside are stamped `when` (the audit service's clock only)."""
    with monkeypatch.context() as clock:
        clock.setattr("audit.services.timezone.now", lambda: when)
        yield
