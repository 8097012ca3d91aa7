"""Writing the audit log: `record` (inside the caller's transaction), the sequencer, checkpoints."""

from __future__ import annotations

import functools
import ipaddress
import math
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import psycopg
from django.db import DEFAULT_DB_ALIAS, DatabaseError, IntegrityError, connection, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models.base import ModelState
from django.http import HttpRequest
from django.utils import timezone

from audit import canonical
from audit.merkle import CompactRange
from audit.models import PLATFORM_CHAIN, ActorType, AuditEvent, ChainHead, Checkpoint, Outcome, SigningKey
from audit.signing import key_id_for, public_pem, signing_key
from core.errors import SafeguardDown
from core.ids import new_ordered_id
from core.metrics import AUDIT_APPENDED, record_sequenced
from core.middleware import request_id_of
from core.network import client_ip

if TYPE_CHECKING:
    from accessctl.actor import Actor
    from accessctl.models import Organization, User

MAX_DETAIL_STRING = 200
MAX_DETAIL_DEPTH = 4
SEQUENCER_BATCH = 5000
OUTCOMES = frozenset(Outcome.values)
# Plain strings: an enum member costs a descriptor call at every use on the hot path.
_USER, _API_KEY, _SYSTEM, _ANONYMOUS = (str(t.value) for t in (ActorType.USER, ActorType.API_KEY,
                                                                 ActorType.SYSTEM, ActorType.ANONYMOUS))  # fmt: skip


class AuditError(SafeguardDown):
    """The audit log refused an event; the operation that wanted it must fail too (fail closed)."""

    problem_code = "audit-unavailable"
    problem_detail = "The audit log is unavailable; nothing was changed. Try again later."


def canonical_timestamp(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _canonical_now(value: datetime) -> str:
    """`canonical_timestamp` for a current time (a four-digit year), at a fifth of strftime's cost."""
    return f"{value.astimezone(UTC).isoformat(timespec='microseconds')[:-6]}Z"


def _check_details(value: Any, depth: int = 0) -> None:
    """Details carry types, counts, ids and hashes: small JSON, never free text or binary."""
    if depth > MAX_DETAIL_DEPTH:
        raise AuditError("audit details are nested too deeply")
    if value is None or isinstance(value, bool | int):
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            raise AuditError("audit details may not hold NaN or infinity")
        return
    if isinstance(value, str):
        if len(value) > MAX_DETAIL_STRING:
            raise AuditError(f"audit detail strings are limited to {MAX_DETAIL_STRING} characters")
        return
    if isinstance(value, list | tuple):
        for item in value:
            _check_details(item, depth + 1)
        return
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                raise AuditError("audit detail keys must be strings")
            _check_details(item, depth + 1)
        return
    raise AuditError(f"audit details may not hold {type(value).__name__}")


@functools.lru_cache(maxsize=1024)
def _normalise_ip(ip: str | None) -> str | None:
    if not ip:
        return None
    try:
        return ipaddress.ip_address(ip).compressed
    except ValueError:
        return None


def record(
    *,
    actor: Actor | None,
    event_type: str,
    resource: str = "",
    resource_id: str = "",
    outcome: str = Outcome.SUCCESS,
    details: Mapping[str, Any] | None = None,
    organization: Organization | None = None,
    user: User | None = None,
    request: HttpRequest | None = None,
) -> AuditEvent:
    """Append one event in the caller's transaction. Raises AuditError (and so fails the caller) if it can't.

    `actor` gives organisation, user and request metadata; without one (failed sign-in, system jobs) the
    event goes to `organization`'s chain, or the platform chain, with metadata from `request` if given, and
    `user` names whom it concerns (a failed sign-in to a known account).
    """
    if outcome not in OUTCOMES:
        raise AuditError(f"unknown audit outcome {outcome!r}")
    details = dict(details or {})
    _check_details(details)
    if actor is not None:
        organization = actor.organization
        user = actor.user
        api_key_id = getattr(actor, "api_key_id", "") or ""
        actor_type = _API_KEY if api_key_id else _USER if user is not None else _SYSTEM
        user_id = user.public_id if user is not None else ""
        actor_id = api_key_id or user_id or "system"
        ip, user_agent, request_id = actor.ip, actor.user_agent, actor.request_id
        if actor.break_glass:  # the policy allowed something only through an emergency grant: tag it
            details = {**details, "break_glass": True, "grant_id": actor.break_glass[-1]}
    else:
        api_key_id = ""
        user_id = user.public_id if user is not None else ""
        actor_type = _ANONYMOUS if request is not None else _SYSTEM
        actor_id = "anonymous" if request is not None else "system"
        ip = client_ip(request) if request is not None else None
        user_agent = request.headers.get("User-Agent", "")[:300] if request is not None else ""
        request_id = request_id_of(request) if request is not None else ""
    event_id = new_ordered_id("evt")
    chain = organization.public_id if organization is not None else PLATFORM_CHAIN
    timestamp = timezone.now()
    ip = _normalise_ip(ip)
    user_agent, request_id = user_agent[:300], request_id[:64]
    resource, resource_id, outcome = resource[:200], resource_id[:64], str(outcome)
    details_text = canonical.encode_details(details)
    text = canonical.canonical_text_of(
        (event_id, chain, _canonical_now(timestamp), actor_type, actor_id, user_id, api_key_id, ip,
         user_agent, request_id, event_type, resource, resource_id, outcome), details_text,
    )  # fmt: skip
    leaf_hash = canonical.text_leaf_hash(text).hex()
    organization_id = organization.pk if organization is not None else None
    row = [event_id, organization_id, chain, timestamp, actor_type, actor_id, user_id, api_key_id, ip, user_agent,
           request_id, event_type, resource, resource_id, outcome, details_text, leaf_hash, "", ""]  # fmt: skip
    db = connections[DEFAULT_DB_ALIAS]
    batch = _batch.get()
    # Held back only at the batch's own depth: an event recorded in a nested atomic block is written at once, so
    # that a rolled-back savepoint takes its event with it.
    pending = batch[1] if batch is not None and len(db.atomic_blocks) == batch[0] else None
    pk: int | None = None  # inside `batched()`: set when the batch is written, before the transaction commits
    if pending is None:
        try:
            (pk,) = _insert_event(db, [row])
        except DatabaseError as exc:
            raise AuditError(f"audit event {event_type} could not be written ({type(exc).__name__})") from exc
        AUDIT_APPENDED.inc()
    # Built without Model.__init__ (a quarter of record's own time): the row is written, only its values remain.
    event = AuditEvent.__new__(AuditEvent)
    event._state = ModelState()
    event._state.adding, event._state.db = False, DEFAULT_DB_ALIAS
    if organization is not None:
        event._state.fields_cache["organization"] = organization
    event.__dict__.update(
        zip(_ATTNAMES, (pk, event_id, organization_id, chain, None, timestamp, actor_type, actor_id, user_id,
                        api_key_id, ip, user_agent, request_id, event_type, resource, resource_id, outcome, details,
                        leaf_hash, "", ""), strict=True)
    )  # fmt: skip
    if pending is not None:
        pending.append((row, event))
    return event


# The events `record` holds back inside `batched()`: the batch's atomic depth, and (row, event) in the order
# they were recorded.
_Batch = tuple[int, list[tuple[list[Any], AuditEvent]]]
_batch: ContextVar[_Batch | None] = ContextVar("audit_batch", default=None)


@contextmanager
def batched() -> Iterator[None]:
    """Write the events recorded in the block with one multi-row INSERT when it ends (one round trip instead of
    one per event), still inside the caller's transaction: use it nested in `transaction.atomic()`. Events
    recorded inside a nested atomic block are written at once (a savepoint rolled back takes them with it), so
    their ids may come before the batch's. If the block raises, nothing held back is written (the transaction
    rolls back anyway); if the INSERT fails, AuditError fails the transaction (fail closed)."""
    db = connections[DEFAULT_DB_ALIAS]
    if not db.in_atomic_block:
        raise AuditError("audit batches are written inside the caller's transaction; none is open")
    if _batch.get() is not None:  # nested: the outermost batch writes
        yield
        return
    pending: list[tuple[list[Any], AuditEvent]] = []
    token = _batch.set((len(db.atomic_blocks), pending))
    try:
        yield
    finally:
        _batch.reset(token)
    if not pending:
        return
    if db.needs_rollback or not db.in_atomic_block:
        raise AuditError("the transaction of an audit batch ended before the batch was written")
    try:
        pks = _insert_event(db, [row for row, _ in pending])
    except DatabaseError as exc:
        types = ", ".join(event.event_type for _, event in pending)
        raise AuditError(f"audit events {types} could not be written ({type(exc).__name__})") from exc
    for (_, event), pk in zip(pending, pks, strict=True):
        event.pk = pk
    AUDIT_APPENDED.inc(len(pending))


# One plain INSERT, as an application would write it by hand: the ORM's per-field preparation and SQL compilation
# were three quarters of an append's cost in Python (bench/audit_bench.py).
_INSERT_COLUMNS = (
    "event_id", "organization_id", "chain", "timestamp", "actor_type", "actor_id", "user_id", "api_key_id", "ip",
    "user_agent", "request_id", "event_type", "resource", "resource_id", "outcome", "details", "leaf_hash",
    "prev_hash", "hash",
)  # fmt: skip
_ATTNAMES = tuple(field.attname for field in AuditEvent._meta.concrete_fields)
_VALUES = f"({', '.join(['%s'] * len(_INSERT_COLUMNS))})"


@functools.cache
def _insert_sql(rows: int) -> str:
    return (
        f"INSERT INTO {AuditEvent._meta.db_table} ({', '.join(_INSERT_COLUMNS)}) "  # noqa: S608 - constants only
        f"VALUES {', '.join([_VALUES] * rows)} RETURNING id"
    )


def _insert_event(db: BaseDatabaseWrapper, rows: list[list[Any]]) -> list[int]:
    """INSERT the rows (one statement, in order, so the sequencer's id order is theirs); their ids in order."""
    sql = _insert_sql(len(rows))
    if db.vendor != "postgresql" or db.queries_logged:  # SQLite, or a test counting queries: Django's cursor
        params: list[Any] = []
        for row in rows:
            row[3], row[8] = db.ops.adapt_datetimefield_value(row[3]), db.ops.adapt_ipaddressfield_value(row[8])
            params.extend(row)
        with db.cursor() as cursor:
            cursor.execute(sql, params)
            pks = [int(pk) for (pk,) in cursor.fetchall()]
    else:
        pks = _insert_prepared(db, sql, [value for row in rows for value in row])
    if len(pks) != len(rows):  # RETURNING answers one row for every row of an INSERT that did not raise
        raise DatabaseError("the audit INSERT returned no id")
    return pks


def _insert_prepared(db: BaseDatabaseWrapper, sql: str, params: list[Any]) -> list[int]:
    # PostgreSQL: one cursor per connection with server-side binding, which psycopg prepares after a few
    # executions, so PostgreSQL stops parsing and planning the INSERT and Python stops quoting 19 literals.
    db.ensure_connection()
    db.validate_no_broken_transaction()
    raw = db.connection
    cached = db.__dict__.get("_audit_insert_cursor")
    if cached is None or cached[0] is not raw or cached[1].closed:
        cached = (raw, psycopg.Cursor(raw))
        db.__dict__["_audit_insert_cursor"] = cached
    with db.wrap_database_errors:
        prepared: psycopg.Cursor[Any] = cached[1]
        prepared.execute(sql, params)
        return [int(pk) for (pk,) in prepared.fetchall()]


def event_content(event: AuditEvent) -> dict[str, Any]:
    """The hashed fields of an event, in the form the canonical encoding takes."""
    return {
        "id": event.event_id,
        "chain": event.chain,
        "timestamp": canonical_timestamp(event.timestamp),
        "actor_type": event.actor_type,
        "actor_id": event.actor_id,
        "user_id": event.user_id,
        "api_key_id": event.api_key_id,
        "ip": event.ip,
        "user_agent": event.user_agent,
        "request_id": event.request_id,
        "event_type": event.event_type,
        "resource": event.resource,
        "resource_id": event.resource_id,
        "outcome": event.outcome,
        "details": canonical.encode_details(event.details),
    }


def locked_head(chain: str) -> ChainHead:
    if not ChainHead.objects.filter(chain=chain).exists():
        organization_id = AuditEvent.objects.filter(chain=chain).values_list("organization_id", flat=True).first()
        try:
            with transaction.atomic():
                ChainHead.objects.create(chain=chain, organization_id=organization_id)
        except IntegrityError:
            pass  # created concurrently
    return ChainHead.objects.select_for_update().get(chain=chain)


_SEQUENCE_SQL = "UPDATE audit_auditevent SET seq = %s, prev_hash = %s, hash = %s WHERE id = %s"


def sequence_chain(
    chain: str, *, batch_size: int = SEQUENCER_BATCH, observe_lag: Callable[[list[float]], None] | None = None
) -> int:
    """Assign seq, prev_hash and hash to committed, unsequenced events of one chain; returns how many.
    `observe_lag` hears, per committed batch, each event's seconds from its timestamp to its sequencing."""
    total = 0
    while True:
        with transaction.atomic():
            head = locked_head(chain)
            pending = list(
                AuditEvent.objects.filter(chain=chain, seq__isnull=True)
                .order_by("id")
                .values_list("id", "leaf_hash", "timestamp")[:batch_size]
            )
            if not pending:
                return total
            frontier = CompactRange.from_json(head.frontier) if head.frontier else CompactRange()
            previous = bytes.fromhex(head.head_hash) if head.head_hash else canonical.GENESIS_HASH
            size = head.size
            assignments = []
            for event_pk, leaf_hex, _ in pending:
                leaf = bytes.fromhex(leaf_hex)
                size += 1
                prev_hex = previous.hex()
                previous = canonical.chain_hash(previous, leaf)
                assignments.append((size, prev_hex, previous.hex(), event_pk))
                frontier.append(leaf)
            with connection.cursor() as cursor:
                # executemany pipelines on psycopg 3: one round trip per batch rather than per row.
                cursor.executemany(_SEQUENCE_SQL, assignments)
            head.size = size
            head.head_hash = previous.hex()
            head.frontier = frontier.to_json()
            head.save(update_fields=["size", "head_hash", "frontier", "updated_at"])
        total += len(pending)
        now = timezone.now()
        lags = [(now - timestamp).total_seconds() for _, _, timestamp in pending]
        record_sequenced(lags)
        if observe_lag is not None:
            observe_lag(lags)


def sequence_all() -> int:
    chains = AuditEvent.objects.filter(seq__isnull=True).values_list("chain", flat=True).distinct()
    return sum(sequence_chain(chain) for chain in list(chains))


def _current_signing_key_row() -> tuple[SigningKey, Any]:
    key = signing_key()
    public_key = key.public_key()
    row, _ = SigningKey.objects.get_or_create(
        key_id=key_id_for(public_key), defaults={"public_key_pem": public_pem(public_key)}
    )
    return row, key


def checkpoint_create(chain: str) -> Checkpoint | None:
    """Sequence the chain, then sign its current Merkle root (once per tree size)."""
    sequence_chain(chain)
    with transaction.atomic():
        head = ChainHead.objects.select_for_update().filter(chain=chain).first()
        if head is None or head.size == 0:
            return None
        existing = Checkpoint.objects.filter(chain=chain, tree_size=head.size).first()
        if existing is not None:
            return existing
        root_hash = CompactRange.from_json(head.frontier).root().hex()
        timestamp = canonical_timestamp(timezone.now())
        key_row, key = _current_signing_key_row()
        message = canonical.checkpoint_message(
            chain=chain, tree_size=head.size, root_hash=root_hash, timestamp=timestamp
        )
        return Checkpoint.objects.create(
            chain=chain,
            tree_size=head.size,
            root_hash=root_hash,
            timestamp=timestamp,
            key=key_row,
            signature=key.sign(message).hex(),
        )


def checkpoint_all() -> int:
    sequence_all()
    chains = ChainHead.objects.values_list("chain", flat=True)
    return sum(1 for chain in list(chains) if checkpoint_create(chain) is not None)
