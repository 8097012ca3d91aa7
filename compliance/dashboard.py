"""The dashboard's compliance panel: checklist at a glance, BAA expiries, recent denials, and two bar charts
drawn on the server as SVG geometry (no script, no inline style: the CSP allows neither)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from django.utils import timezone

from accessctl.models import User
from audit.models import AuditEvent
from compliance.baa import expiring_soon
from compliance.checklist import ITEMS, STATUS_LABELS, status_counts
from compliance.history import checklist_evaluate
from reports.queries import per_day, phi_entity_counts

if TYPE_CHECKING:
    from accessctl.actor import Actor

EVENT_DAYS = 14
PHI_DAYS = 30
BAA_HORIZON_DAYS = 60
DENIALS_SHOWN = 10
PHI_TYPES_SHOWN = 10


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    x: float
    y: float
    width: float
    height: float
    title: str  # the tooltip: label and exact value
    text_x: float
    text_y: float


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    bars: list[Bar]
    total: int
    axis_y: float


def column_chart(points: list[tuple[str, int, str]], *, width: int = 340, height: int = 150) -> Chart:
    """Vertical bars for (label, value, tooltip) with the label under each bar and the value above it."""
    top, bottom = 16.0, 22.0
    plot = height - top - bottom
    peak = max((value for _, value, _ in points), default=0) or 1
    slot = width / max(len(points), 1)
    bars = []
    for index, (label, value, title) in enumerate(points):
        bar_height = round(plot * value / peak, 1)
        x = round(index * slot + slot * 0.15, 1)
        y = round(top + plot - bar_height, 1)
        bars.append(
            Bar(label, value, x, y, round(slot * 0.7, 1), bar_height, title, round(x + slot * 0.35, 1), round(y - 4, 1))
        )
    return Chart(width, height, bars, sum(value for _, value, _ in points), round(top + plot, 1))


def row_chart(points: list[tuple[str, int, str]], *, width: int = 340, row: int = 22) -> Chart:
    """Horizontal bars for (label, value, tooltip): the label at the left, the value after the bar."""
    label_width, value_width = 116.0, 44.0
    peak = max((value for _, value, _ in points), default=0) or 1
    span = width - label_width - value_width
    bars = []
    for index, (label, value, title) in enumerate(points):
        bar_width = round(span * value / peak, 1)
        y = float(index * row + 4)
        bars.append(
            Bar(label, value, label_width, y, bar_width, row - 8.0, title, label_width + bar_width + 6, y + row / 2)
        )
    return Chart(width, max(len(points), 1) * row + 8, bars, sum(value for _, value, _ in points), 0.0)


def _events_chart(chain: str, now: datetime) -> Chart:
    first_day = now.astimezone(UTC).date() - timedelta(days=EVENT_DAYS - 1)
    start = datetime.combine(first_day, time.min, tzinfo=UTC)
    events = AuditEvent.objects.filter(chain=chain, timestamp__gte=start, timestamp__lt=now)
    days = per_day(events, start, now)
    return column_chart([(f"{day.day}", count, f"{day.isoformat()}: {count} events") for day, count in days])


def _phi_chart(chain: str, now: datetime) -> Chart:
    events = AuditEvent.objects.filter(chain=chain, timestamp__gte=now - timedelta(days=PHI_DAYS), timestamp__lt=now)
    totals = {
        kind: parts.get("prompt", 0) + parts.get("response", 0) for kind, parts in phi_entity_counts(events).items()
    }
    ranked = sorted(((kind, n) for kind, n in totals.items() if n), key=lambda pair: (-pair[1], pair[0]))
    return row_chart([(kind, n, f"{kind}: {n} detected") for kind, n in ranked[:PHI_TYPES_SHOWN]])


def _denials(chain: str) -> list[dict[str, Any]]:
    events = list(
        AuditEvent.objects.filter(chain=chain, event_type="access.denied").order_by("-timestamp", "-id")[:DENIALS_SHOWN]
    )
    names = dict(
        User.objects.filter(public_id__in={e.user_id for e in events if e.user_id}).values_list("public_id", "username")
    )
    rows = []
    for event in events:
        details = event.details if isinstance(event.details, dict) else {}
        rows.append(
            {
                "event_id": event.event_id,
                "timestamp": event.timestamp,
                "who": names.get(event.user_id) or event.actor_id or "—",
                "permission": details.get("permission") or details.get("reason") or "—",
                "resource": event.resource,
            }
        )
    return rows


def compliance_panel(*, actor: Actor) -> dict[str, Any]:
    """What the dashboard shows someone with `baa:read` (the caller checks it)."""
    results = checklist_evaluate(actor=actor)
    counts = status_counts(results)
    now = timezone.now()
    chain = actor.organization.public_id
    today = timezone.localdate()
    return {
        "counts": [(status, STATUS_LABELS[status], counts[status]) for status in counts],
        "attention": [
            {"key": key, "title": ITEMS[key].title, "status": r.status, "status_label": STATUS_LABELS[r.status]}
            for key, r in results.items()
            if r.status != "pass"
        ],
        "baas": [
            {"baa": baa, "days_left": (baa.expiry_date - today).days}
            for baa in expiring_soon(actor.organization, within_days=BAA_HORIZON_DAYS)
        ],
        "baa_horizon": BAA_HORIZON_DAYS,
        "denials": _denials(chain),
        "events_chart": _events_chart(chain, now),
        "event_days": EVENT_DAYS,
        "phi_chart": _phi_chart(chain, now),
        "phi_days": PHI_DAYS,
    }
