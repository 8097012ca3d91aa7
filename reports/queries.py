"""Aggregate queries over one organisation's audit events in a period: the database counts, Python only joins.

A report covers up to a million events in seconds because every figure is a GROUP BY in SQL; the PHI
entity counts, kept inside each `phi.detection` event's JSON details, are summed by the database's own
JSON functions (PostgreSQL `jsonb_each_text`, SQLite `json_each`) and only elsewhere streamed in chunks.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.db import connection
from django.db.models import Count
from django.db.models.functions import TruncDate

from accessctl.models import Organization, User
from audit.models import AuditEvent

if TYPE_CHECKING:
    from django.db.models import QuerySet

PHI_PARTS = ("prompt", "response")
STREAM_CHUNK = 5000

# The subquery is the ORM's own SQL for the filtered events (its parameters already adapted); the cast to
# jsonb happens once a row (OFFSET 0 keeps PostgreSQL from inlining it into each reference).
_PG_PHI_SQL = """
SELECT part.name, item.key, SUM(item.value::bigint)
FROM (SELECT sub.details::jsonb AS doc FROM ({events}) AS sub OFFSET 0) AS parsed
CROSS JOIN (VALUES ('prompt'), ('response')) AS part(name)
CROSS JOIN LATERAL jsonb_each_text(
    CASE WHEN jsonb_typeof(parsed.doc -> part.name) = 'object' THEN parsed.doc -> part.name ELSE '{{}}'::jsonb END
) AS item
WHERE item.value ~ '^[0-9]+$'
GROUP BY part.name, item.key
"""
_SQLITE_PHI_SQL = """
SELECT part.name, item.key, SUM(item.value)
FROM ({events}) AS sub
CROSS JOIN (SELECT 'prompt' AS name UNION ALL SELECT 'response') AS part
CROSS JOIN json_each(sub.details, '$.' || part.name) AS item
WHERE json_type(sub.details, '$.' || part.name) = 'object' AND item.type = 'integer' AND item.value >= 0
GROUP BY part.name, item.key
"""


def events(organization: Organization, start: datetime, end: datetime) -> QuerySet[AuditEvent]:
    """The organisation's events with start <= timestamp < end (sequenced or not yet)."""
    return AuditEvent.objects.filter(chain=organization.public_id, timestamp__gte=start, timestamp__lt=end)


def days(start: datetime, end: datetime) -> list[date]:
    first = start.astimezone(UTC).date()
    last = (end - timedelta(microseconds=1)).astimezone(UTC).date()
    return [first + timedelta(days=offset) for offset in range((last - first).days + 1)]


def per_day_by_type(queryset: QuerySet[AuditEvent]) -> dict[date, dict[str, int]]:
    """{day: {event_type: count}} in UTC days, one GROUP BY."""
    rows = (
        queryset.annotate(day=TruncDate("timestamp", tzinfo=UTC))
        .values("day", "event_type")
        .annotate(n=Count("id"))
        .order_by()
    )
    result: dict[date, dict[str, int]] = defaultdict(dict)
    for row in rows:
        result[row["day"]][row["event_type"]] = row["n"]
    return result


def per_day(queryset: QuerySet[AuditEvent], start: datetime, end: datetime) -> list[tuple[date, int]]:
    """Events a day over the whole period, days without events as zero."""
    rows = queryset.annotate(day=TruncDate("timestamp", tzinfo=UTC)).values("day").annotate(n=Count("id")).order_by()
    counts = {row["day"]: row["n"] for row in rows}
    return [(day, counts.get(day, 0)) for day in days(start, end)]


def by_type_and_outcome(queryset: QuerySet[AuditEvent]) -> list[tuple[str, str, int]]:
    rows = queryset.values("event_type", "outcome").annotate(n=Count("id")).order_by("event_type", "outcome")
    return [(row["event_type"], row["outcome"], row["n"]) for row in rows]


def phi_entity_counts(queryset: QuerySet[AuditEvent]) -> dict[str, dict[str, int]]:
    """{entity type: {"prompt": n, "response": n}} summed over the `phi.detection` events of `queryset`.

    Details hold types and counts only (`{"prompt": {"NAME": 1}, "response": {}}`), never values."""
    subset = queryset.filter(event_type="phi.detection").values("details").order_by()
    totals: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(PHI_PARTS, 0))
    template = {"postgresql": _PG_PHI_SQL, "sqlite": _SQLITE_PHI_SQL}.get(connection.vendor)
    if template is None:  # another database: stream only this subset's details, 5,000 rows at a time
        for details in subset.values_list("details", flat=True).iterator(chunk_size=STREAM_CHUNK):
            _add_details(totals, details)
        return dict(totals)
    sql, params = subset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(template.format(events=sql), params)
        for part, entity_type, total in cursor.fetchall():
            totals[str(entity_type)][str(part)] += int(total)
    return dict(totals)


def _add_details(totals: dict[str, dict[str, int]], details: Any) -> None:
    if not isinstance(details, dict):
        return
    for part in PHI_PARTS:
        counts = details.get(part)
        if isinstance(counts, dict):
            for entity_type, count in counts.items():
                if isinstance(count, int) and not isinstance(count, bool) and count >= 0:
                    totals[str(entity_type)][part] += count


def usernames(public_ids: list[str]) -> dict[str, str]:
    """Display names for the users that events name (public ids are what the log keeps)."""
    found = User.objects.filter(public_id__in=[p for p in public_ids if p]).values_list("public_id", "username")
    return dict(found)
