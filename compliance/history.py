"""Checklist history: snapshots of the evaluated checklist, and an audit event for every status change."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone

from accessctl.models import Organization
from audit.services import record
from compliance.checklist import ITEMS, ItemResult, evaluate
from compliance.evaluators import full_verification
from compliance.models import ChecklistSnapshot

if TYPE_CHECKING:
    from accessctl.actor import Actor

MAX_REASONS_KEPT = 10
HISTORY_SNAPSHOTS_READ = 400


@dataclass(frozen=True)
class HistoryEntry:
    at: datetime
    status: str
    reasons: list[str]
    trigger: str


def compact(results: dict[str, ItemResult]) -> dict[str, dict[str, Any]]:
    return {key: {"status": r.status, "reasons": r.reasons[:MAX_REASONS_KEPT]} for key, r in results.items()}


@transaction.atomic
def _record(
    organization: Organization, results: dict[str, ItemResult], *, actor: Actor | None, trigger: str, always: bool
) -> ChecklistSnapshot | None:
    # Serialise writers per organisation (NO KEY: rows referencing the organisation may still be inserted).
    Organization.objects.select_for_update(no_key=True).filter(pk=organization.pk).first()
    previous = ChecklistSnapshot.objects.filter(organization=organization).order_by("-taken_at", "-id").first()
    before: dict[str, Any] = previous.results if previous is not None else {}
    changes = [
        (key, str((before.get(key) or {}).get("status", "")), result.status)
        for key, result in results.items()
        if previous is not None and (before.get(key) or {}).get("status") != result.status
    ]
    if previous is not None and not changes and not always:
        return None
    chain = results["audit_logging"].facts.get("audit_chain") if "audit_logging" in results else None
    snapshot = ChecklistSnapshot.objects.create(
        organization=organization,
        taken_at=timezone.now(),
        trigger=trigger if previous is not None or always else "initial",
        results=compact(results),
        audit_chain={k: v for k, v in chain.items() if k != "live"}
        if isinstance(chain, dict) and chain.get("live")
        else {},
    )
    for key, old, new in changes:
        record(
            actor=actor,
            organization=organization,
            event_type="checklist.status_changed",
            resource=f"checklist/{key}",
            details={"item": key, "from": old, "to": new},
        )
    return snapshot


def checklist_evaluate(*, actor: Actor) -> dict[str, ItemResult]:
    """The checklist as of now for the actor's organisation (callers check `baa:read`); a status that moved
    since the last snapshot is recorded (snapshot + `checklist.status_changed`)."""
    results = evaluate(actor.organization)
    _record(actor.organization, results, actor=actor, trigger="change", always=False)
    return results


def checklist_snapshot(*, organization: Organization) -> ChecklistSnapshot:
    """The daily snapshot: verifies the audit chain in full, whatever its size."""
    with full_verification():
        results = evaluate(organization)
    snapshot = _record(organization, results, actor=None, trigger="scheduled", always=True)
    assert snapshot is not None  # noqa: S101 - always=True writes one
    return snapshot


def item_history(organization: Organization, key: str) -> list[HistoryEntry]:
    """When `key` changed status (newest first), from the latest snapshots."""
    if key not in ITEMS:
        return []
    snapshots = list(
        ChecklistSnapshot.objects.filter(organization=organization)
        .order_by("-taken_at", "-id")
        .values_list("taken_at", "trigger", "results")[:HISTORY_SNAPSHOTS_READ]
    )
    entries: list[HistoryEntry] = []
    for taken_at, trigger, results in reversed(snapshots):
        item = (results or {}).get(key) or {}
        status = str(item.get("status", ""))
        if status and (not entries or entries[-1].status != status):
            entries.append(HistoryEntry(taken_at, status, list(item.get("reasons") or []), trigger))
    return list(reversed(entries))


@dataclass(frozen=True)
class Change:
    at: datetime
    item: str
    title: str
    from_status: str
    to_status: str


def recent_changes(organization: Organization, *, limit: int = 10) -> list[Change]:
    """The latest status changes of any item (newest first), from consecutive snapshots."""
    snapshots = ChecklistSnapshot.objects.filter(organization=organization).order_by("-taken_at", "-id")
    changes: list[Change] = []
    newer: tuple[datetime, dict[str, Any]] | None = None
    for taken_at, results in snapshots.values_list("taken_at", "results")[:HISTORY_SNAPSHOTS_READ].iterator():
        if newer is not None:
            for key, item in ITEMS.items():
                before = str(((results or {}).get(key) or {}).get("status", ""))
                after = str(((newer[1] or {}).get(key) or {}).get("status", ""))
                if before and after and before != after:
                    changes.append(Change(newer[0], key, item.title, before, after))
            if len(changes) >= limit:
                break
        newer = (taken_at, results)
    return changes[:limit]
