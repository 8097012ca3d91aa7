"""What a detection rule returns: a finding, with the audit events that are its evidence."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from incidents.models import Rule

Evidence = tuple[str, int | None, str, datetime]  # event_id, seq, event_type, timestamp


@dataclass
class Finding:
    rule: str
    severity: str
    key: str
    window_start: datetime
    window_end: datetime
    evidence: list[Evidence]
    dedupe_key: str
    details: dict[str, Any] = field(default_factory=dict)
    count: int = 0  # events in the burst (evidence may be capped)
    gap: timedelta | None = None  # a later burst of the same rule and key within `gap` is the same burst


def verification_finding(chain: str, failed_seq: int | None, reason: str) -> Finding:
    """The chain failed verification at `failed_seq`: one alert per chain and failing position."""
    now = timezone.now()
    return Finding(
        rule=Rule.AUDIT_VERIFICATION,
        severity="critical",
        key=f"chain:{chain}",
        window_start=now,
        window_end=now,
        evidence=[],
        dedupe_key=f"audit_verification:{chain}:{failed_seq}",
        details={"failed_seq": failed_seq, "reason": reason[:200]},
    )
