"""Investigating the audit log in the console: filters by name as people type them, names beside ids, event
details as readable rows, and the filtered range as CSV or JSON lines.

Deployments are found by the names their events carry (`resource` is `deployment/<name>`), so this layer needs
nothing above it. Nothing here decrypts or reveals PHI: audit details hold counts, types and ids only."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models import Q, QuerySet

from accessctl.models import ApiKey, Membership
from audit.models import AuditEvent

if TYPE_CHECKING:
    from accessctl.models import Organization

SUGGESTIONS_FROM = 5000  # event types offered in the picker: those of the latest events
EXPORT_COLUMNS = ("event_id", "seq", "timestamp", "event_type", "outcome", "actor_type", "actor_id", "actor_name",
                  "user_id", "api_key_id", "ip", "user_agent", "request_id", "resource", "resource_id",
                  "details")  # fmt: skip
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


class NotFoundInOrganization(ValueError):
    """A user or deployment named in a filter that this organisation does not have."""


def event_type_query(patterns: list[str]) -> Q:
    """`auth.*` or `auth.` is a prefix; `auth.login` is itself and everything under it (auth.login.failed)."""
    query = Q()
    for pattern in patterns:
        stem = pattern.rstrip("*").rstrip(".")
        if pattern.endswith(("*", ".")):
            query |= Q(event_type__startswith=f"{stem}.") | Q(event_type=stem)
        else:
            query |= Q(event_type=pattern) | Q(event_type__startswith=f"{pattern}.")
    return query


def resolve_user(organization: Organization, typed: str) -> str:
    """The public id of the member `typed` names: an id, a username or an e-mail address (any case)."""
    members = Membership.objects.filter(organization=organization).select_related("user")
    value = typed.strip()
    match = members.filter(
        Q(user__public_id=value) | Q(user__username__iexact=value) | Q(user__email__iexact=value)
    ).first()
    if match is None:
        raise NotFoundInOrganization("No member of this organisation has that name, e-mail or id.")
    return str(match.user.public_id)


def resolve_deployment(organization: Organization, typed: str) -> tuple[str | None, str | None]:
    """(deployment id, resource) for a deployment id (dep_…) or a name its events carry."""
    value = typed.strip()
    events = AuditEvent.objects.filter(chain=organization.public_id, resource__startswith="deployment/")
    if value.startswith("dep_"):
        if not events.filter(resource_id=value).exists():
            raise NotFoundInOrganization("No deployment of this organisation has that id.")
        return value, None
    resource = f"deployment/{value}"
    if not events.filter(resource=resource).exists():
        raise NotFoundInOrganization("No deployment of this organisation has that name.")
    return None, resource


def event_type_suggestions(organization: Organization) -> list[str]:
    """The event types of the organisation's latest events, and their families (`auth.*`), for the picker."""
    latest = AuditEvent.objects.filter(chain=organization.public_id).order_by("-id")
    types = set(latest.values_list("event_type", flat=True)[:SUGGESTIONS_FROM])
    families = {t.split(".", 1)[0] + ".*" for t in types if "." in t}
    return sorted(types | families)


@dataclass(frozen=True)
class Names:
    users: dict[str, str]
    keys: dict[str, str]

    def actor(self, event: AuditEvent) -> str:
        """Who acted, by name: `alice`, `key “ci-bot” (alice)`, `system`, `anonymous`."""
        if event.api_key_id:
            owner = self.users.get(event.user_id, "")
            key = self.keys.get(event.api_key_id, event.api_key_id)
            return f"key “{key}”" + (f" ({owner})" if owner else "")
        if event.user_id:
            return self.users.get(event.user_id, event.user_id)
        return event.actor_type


def names_for(organization: Organization, events: Iterable[AuditEvent]) -> Names:
    """One query each for the users and API keys the events mention."""
    rows = list(events)
    user_ids = {e.user_id for e in rows if e.user_id}
    key_ids = {e.api_key_id for e in rows if e.api_key_id}
    users = dict(
        Membership.objects.filter(organization=organization, user__public_id__in=user_ids).values_list(
            "user__public_id", "user__username"
        )
    )
    keys = dict(
        ApiKey.objects.filter(organization=organization, public_id__in=key_ids).values_list("public_id", "name")
    )
    return Names(users=users, keys=keys)


def detail_rows(details: dict[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    """Event details as (field, value) rows: nested documents flattened with dots, lists joined."""
    rows: list[tuple[str, str]] = []
    for key, value in details.items():
        label = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            rows.extend(detail_rows(value, f"{label}."))
        elif isinstance(value, list):
            rows.append((label, ", ".join(json.dumps(v) if isinstance(v, dict) else str(v) for v in value) or "—"))
        elif isinstance(value, bool):
            rows.append((label, "yes" if value else "no"))
        else:
            rows.append((label, "—" if value is None or value == {} else str(value)))
    return rows


def _record(event: AuditEvent, names: Names) -> dict[str, Any]:
    return {
        "event_id": event.event_id,
        "seq": event.seq,
        "timestamp": event.timestamp.isoformat(),
        "event_type": event.event_type,
        "outcome": event.outcome,
        "actor_type": event.actor_type,
        "actor_id": event.actor_id,
        "actor_name": names.actor(event),
        "user_id": event.user_id,
        "api_key_id": event.api_key_id,
        "ip": event.ip or "",
        "user_agent": event.user_agent,
        "request_id": event.request_id,
        "resource": event.resource,
        "resource_id": event.resource_id,
        "details": event.details,
    }


def _batches(events: QuerySet[AuditEvent], size: int = 1000) -> Iterator[list[AuditEvent]]:
    batch: list[AuditEvent] = []
    for event in events.iterator(chunk_size=size):
        batch.append(event)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _cell(value: Any) -> str:
    text = json.dumps(value, sort_keys=True) if isinstance(value, dict) else "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text  # spreadsheets run formula-like cells


def export_lines(organization: Organization, events: QuerySet[AuditEvent], fmt: str) -> Iterator[bytes]:
    """The events as CSV (a header, then a row each) or JSON lines, streamed in batches, oldest first."""
    if fmt == "csv":
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerow(EXPORT_COLUMNS)
        yield out.getvalue().encode()
    for batch in _batches(events):
        names = names_for(organization, batch)
        out = io.StringIO()
        if fmt == "csv":
            writer = csv.writer(out, lineterminator="\n")
            for event in batch:
                record = _record(event, names)
                writer.writerow([_cell(record[c]) for c in EXPORT_COLUMNS])
        else:
            for event in batch:
                out.write(json.dumps(_record(event, names), sort_keys=True, separators=(",", ":")) + "\n")
        yield out.getvalue().encode()
