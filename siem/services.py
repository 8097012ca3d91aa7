"""Configuring SIEM destinations (`audit:manage`), each change audited in its own transaction; and reading them
(`audit:read`). The bearer token is sealed for the organisation and never returned."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from django.db import transaction

from accessctl.policy import authorize, organization_resource
from audit.models import AuditEvent
from audit.services import record
from core.errors import FieldError, NotFound
from siem.models import DestinationKind, SiemDestination
from siem.validation import DEFAULT_SYSLOG_TLS_PORT, DestinationInput, destination_errors

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from accessctl.actor import Actor

MAX_DESTINATIONS = 10
_SETTINGS = ("name", "kind", "url", "host", "port", "ca_pem", "batch_size", "enabled")


class DestinationNotFound(NotFound):
    problem_detail = "No SIEM destination with that id."


class InvalidDestination(FieldError):
    """The first of `errors` as a FieldError (the API maps it); `errors` holds every field's problems."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        field, messages = next(iter(errors.items()))
        super().__init__(field, messages[0])
        self.errors = errors


def destination_list(*, actor: Actor) -> QuerySet[SiemDestination]:
    authorize(actor, "audit:read", organization_resource(actor))
    return SiemDestination.objects.filter(organization=actor.organization)


def access_destination(actor: Actor, public_id: str, permission: str) -> SiemDestination:
    authorize(actor, permission, organization_resource(actor))
    destination = SiemDestination.objects.filter(organization=actor.organization, public_id=public_id).first()
    if destination is None:
        raise DestinationNotFound("siem destination")
    return destination


def _target(data: DestinationInput) -> str:
    """Where it sends, for the audit log: the host (and port) only, never a URL's path or query."""
    if data.kind == DestinationKind.HTTPS:
        parts = urlsplit(data.url)
        return f"{parts.hostname}:{parts.port or 443}"
    return f"{data.host}:{data.port or DEFAULT_SYSLOG_TLS_PORT}"


def _apply(destination: SiemDestination, data: DestinationInput) -> None:
    destination.name, destination.kind, destination.batch_size = data.name.strip(), data.kind, data.batch_size
    destination.enabled, destination.ca_pem = data.enabled, data.ca_pem.strip()
    if data.kind == DestinationKind.HTTPS:
        destination.url, destination.host, destination.port = data.url, "", None
        if data.token:
            destination.token = data.token
    else:
        destination.url, destination.host = "", data.host.strip("[]")
        destination.port = data.port or DEFAULT_SYSLOG_TLS_PORT
        destination.token = None


def _check(actor: Actor, data: DestinationInput, *, current: SiemDestination | None) -> None:
    errors = destination_errors(data, creating=current is None, has_token=current is not None and current.has_token)
    taken = SiemDestination.objects.filter(organization=actor.organization, name=data.name.strip())
    if current is not None:
        taken = taken.exclude(pk=current.pk)
    if "name" not in errors and taken.exists():
        errors["name"] = ["Another destination has that name."]
    if errors:
        raise InvalidDestination(errors)


def destination_create(*, actor: Actor, data: DestinationInput, start: str = "beginning") -> SiemDestination:
    """A new destination; it receives the organisation's retained events from the first (`start="beginning"`)
    or only those appended from now on (`start="now"`)."""
    authorize(actor, "audit:manage", organization_resource(actor))
    if start not in {"beginning", "now"}:
        raise InvalidDestination({"start": ["Choose beginning or now."]})
    _check(actor, data, current=None)
    with transaction.atomic():
        if SiemDestination.objects.filter(organization=actor.organization).count() >= MAX_DESTINATIONS:
            raise InvalidDestination({"name": [f"At most {MAX_DESTINATIONS} destinations per organisation."]})
        destination = SiemDestination(organization=actor.organization, created_by=actor.user)
        _apply(destination, data)
        if start == "now":
            last = AuditEvent.objects.filter(chain=actor.organization.public_id, seq__isnull=False)
            destination.cursor_seq = last.order_by("-seq").values_list("seq", flat=True).first() or 0
        destination.save()
        record(actor=actor, event_type="siem.destination.created", resource=destination.resource_label,
               resource_id=destination.public_id,
               details={"kind": destination.kind, "target": _target(data), "start": start,
                        "cursor_seq": destination.cursor_seq, "enabled": destination.enabled})  # fmt: skip
    return destination


def destination_update(*, actor: Actor, destination: SiemDestination, data: DestinationInput) -> SiemDestination:
    """Change a destination's settings; a token left out (None or empty) keeps the sealed one."""
    authorize(actor, "audit:manage", organization_resource(actor))
    _check(actor, data, current=destination)
    with transaction.atomic():
        locked = SiemDestination.objects.select_for_update().get(pk=destination.pk)
        before = {name: getattr(locked, name) for name in _SETTINGS}
        _apply(locked, data)
        changed = sorted(name for name in _SETTINGS if getattr(locked, name) != before[name])
        if data.token and data.kind == DestinationKind.HTTPS:
            changed.append("token")  # a new token: never compared, never shown
        if changed:
            fields = [*_SETTINGS, "url", "host", "port", "token", "updated_at"]
            if (locked.enabled and not before["enabled"]) or set(changed) - {"enabled", "name", "batch_size"}:
                locked.consecutive_failures, locked.next_attempt_at, locked.last_error = 0, None, ""
                fields += ["consecutive_failures", "next_attempt_at", "last_error"]
            locked.save(update_fields=sorted(set(fields)))  # never the cursor: a delivery run owns it
            record(actor=actor, event_type="siem.destination.updated", resource=locked.resource_label,
                   resource_id=locked.public_id,
                   details={"changed": changed, "kind": locked.kind, "target": _target(data)})  # fmt: skip
    return locked


def destination_delete(*, actor: Actor, destination: SiemDestination) -> None:
    authorize(actor, "audit:manage", organization_resource(actor))
    with transaction.atomic():
        deleted, _ = SiemDestination.objects.filter(pk=destination.pk).delete()
        if deleted:
            record(actor=actor, event_type="siem.destination.deleted", resource=destination.resource_label,
                   resource_id=destination.public_id,
                   details={"kind": destination.kind, "cursor_seq": destination.cursor_seq})  # fmt: skip


def destination_summary(destination: SiemDestination, *, chain_size: int | None = None) -> dict[str, Any]:
    """What the console and the API show: settings, progress and health; never the token."""
    summary: dict[str, Any] = {
        "id": destination.public_id,
        "name": destination.name,
        "kind": destination.kind,
        "url": destination.url or None,
        "host": destination.host or None,
        "port": destination.port,
        "has_token": destination.has_token,
        "has_ca": bool(destination.ca_pem),
        "batch_size": destination.batch_size,
        "enabled": destination.enabled,
        "cursor_seq": destination.cursor_seq,
        "delivered": destination.delivered,
        "consecutive_failures": destination.consecutive_failures,
        "next_attempt_at": destination.next_attempt_at,
        "last_attempt_at": destination.last_attempt_at,
        "last_success_at": destination.last_success_at,
        "last_error": destination.last_error or None,
        "created_at": destination.created_at,
    }
    if chain_size is not None:
        summary["behind"] = max(0, chain_size - destination.cursor_seq)
    return summary
