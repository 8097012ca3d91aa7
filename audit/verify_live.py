"""Verify the live audit table (in the database) with the same verifier `audit/verify.py` runs offline on export
bundles."""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections.abc import Iterator
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from django.db import connection, connections, transaction
from django.db.models import Max

from audit.canonical import FORMAT, canonical_text, encode_details
from audit.models import AuditEvent, ChainHead, Checkpoint, SigningKey
from audit.services import canonical_timestamp, sequence_chain
from audit.verify import (
    ChainVerifier,
    CheckpointRecord,
    EventRow,
    Report,
    SegmentResult,
    check_segment,
    run,
    run_segments,
)

ROW_FIELDS = (
    "seq", "event_id", "chain", "timestamp", "actor_type", "actor_id", "user_id", "api_key_id", "ip", "user_agent",
    "request_id", "event_type", "resource", "resource_id", "outcome", "details", "leaf_hash", "prev_hash", "hash",
)  # fmt: skip
CHUNK = 20_000


def public_keys() -> dict[str, Ed25519PublicKey]:
    keys: dict[str, Ed25519PublicKey] = {}
    for key_id, pem in SigningKey.objects.values_list("key_id", "public_key_pem"):
        key = load_pem_public_key(pem.encode())
        if isinstance(key, Ed25519PublicKey):
            keys[key_id] = key
    return keys


def checkpoint_records(chain: str) -> list[CheckpointRecord]:
    return [
        CheckpointRecord(tree_size=size, root_hash=root, timestamp=ts, key_id=key_id, signature=signature)
        for size, root, ts, key_id, signature in Checkpoint.objects.filter(chain=chain).values_list(
            "tree_size", "root_hash", "timestamp", "key_id", "signature"
        )
    ]


def content_from_row(row: tuple[Any, ...]) -> dict[str, Any]:
    (_, event_id, chain, timestamp, actor_type, actor_id, user_id, api_key_id, ip, user_agent, request_id) = row[:11]
    (event_type, resource, resource_id, outcome, details) = row[11:16]
    return {
        "id": event_id,
        "chain": chain,
        "timestamp": canonical_timestamp(timestamp),
        "actor_type": actor_type,
        "actor_id": actor_id,
        "user_id": user_id,
        "api_key_id": api_key_id,
        "ip": ip,
        "user_agent": user_agent,
        "request_id": request_id,
        "event_type": event_type,
        "resource": resource,
        "resource_id": resource_id,
        "outcome": outcome,
        "details": encode_details(details),
    }


def _json(column: str) -> str:
    return f"to_json({column})::text"


# PostgreSQL rebuilds each event's canonical text from its columns (see audit/canonical.py); a test
# checks it byte for byte against the Python encoder on hostile strings. Python then hashes the text:
# about 5x faster than fetching the columns and encoding them in Python.
_PG_CANONICAL = " || ',' || ".join(
    [
        "'[\"" + FORMAT + "\"'",
        _json("event_id"),
        _json("chain"),
        _json("""to_char("timestamp" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')"""),
        _json("actor_type"),
        _json("actor_id"),
        _json("user_id"),
        _json("api_key_id"),
        "coalesce(to_json(host(ip))::text, 'null')",
        _json("user_agent"),
        _json("request_id"),
        _json("event_type"),
        _json("resource"),
        _json("resource_id"),
        _json("outcome"),
        "details || ']'",
    ]
)
_PG_EVENTS_SQL = (
    f"SELECT seq, {_PG_CANONICAL}, leaf_hash, prev_hash, hash FROM audit_auditevent"  # noqa: S608 - constants only
    " WHERE chain = %s AND seq BETWEEN %s AND %s ORDER BY seq"
)
PARALLEL_MIN_EVENTS = 50_000


def iter_events(chain: str) -> Iterator[EventRow]:
    """Every sequenced event of `chain` as (seq, canonical text, leaf_hash, prev_hash, hash), in seq order."""
    if connection.vendor == "postgresql":
        yield from _iter_events_postgres(chain, 1, 2**62)
        return
    rows = (
        AuditEvent.objects.filter(chain=chain, seq__isnull=False).order_by("seq").values_list(*ROW_FIELDS)
    ).iterator(chunk_size=CHUNK)
    for row in rows:
        yield row[0], canonical_text(content_from_row(row)), row[16], row[17], row[18]


def _iter_events_postgres(chain: str, first_seq: int, last_seq: int) -> Iterator[EventRow]:
    # A named (server-side) cursor streams the rows; it lives inside a transaction.
    connection.ensure_connection()
    with transaction.atomic(), connection.connection.cursor(name=f"audit_events_{first_seq}") as cursor:
        cursor.itersize = CHUNK
        cursor.execute(_PG_EVENTS_SQL, [chain, first_seq, last_seq])
        yield from cursor


def _check_range(task: tuple[str, int, int]) -> SegmentResult:
    """In a worker process (its own database connection): check one seq range."""
    chain, first_seq, last_seq = task
    try:
        return check_segment(first_seq, _iter_events_postgres(chain, first_seq, last_seq))
    finally:
        connections.close_all()


def _default_signals() -> None:
    """A forked verifier inherits its parent's signal handlers; a Celery worker's SIGTERM handler only sets a
    flag, so a child told to stop by terminate() would never exit and the pool would wait for it forever."""
    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGQUIT):
        signal.signal(signum, signal.SIG_DFL)


def _parallel_segments(chain: str, first_seq: int, last_seq: int, workers: int) -> list[SegmentResult]:
    """PostgreSQL rebuilds the canonical text in one backend per range while Python hashes in one process
    per range: verification scales with cores. The parent joins the ranges and checks the Merkle roots."""
    step = -(-(last_seq - first_seq + 1) // workers)
    tasks = [(chain, lo, min(lo + step - 1, last_seq)) for lo in range(first_seq, last_seq + 1, step)]
    connections.close_all()  # children must not share the parent's sockets
    pool = multiprocessing.get_context("fork").Pool(len(tasks), initializer=_default_signals)
    try:
        results = pool.map(_check_range, tasks)
    except BaseException:
        pool.terminate()
        raise
    # Not the context manager's terminate(): signalling children racing to exit can hang the join (a render in a
    # Celery worker did); closed, they leave on their own once the work is done.
    pool.close()
    pool.join()
    return results


def verify_chain(chain: str, *, sequence_first: bool = True, workers: int | None = None) -> Report:
    if sequence_first:
        sequence_chain(chain)
    head = ChainHead.objects.filter(chain=chain).first()

    def verifier() -> ChainVerifier:
        return ChainVerifier(
            chain=chain,
            checkpoints=checkpoint_records(chain),
            public_keys=public_keys(),
            anchor_seq=head.anchor_seq if head else 0,
            anchor_hash=head.anchor_hash if head else "",
            anchor_frontier=head.anchor_frontier if head else None,
        )

    expected_size = head.size if head else None
    workers = workers or os.cpu_count() or 1
    parallel = (
        head is not None
        and connection.vendor == "postgresql"
        and not connection.in_atomic_block
        and workers > 1
        and head.size - head.anchor_seq >= PARALLEL_MIN_EVENTS
    )
    if parallel and head is not None:
        factory = verifier  # build it (and read checkpoints) before the connections close for the fork
        built = factory()
        last = AuditEvent.objects.filter(chain=chain).aggregate(last=Max("seq"))["last"] or head.size
        segments = _parallel_segments(chain, head.anchor_seq + 1, max(last, head.size), workers)
        return run_segments(lambda: built, segments, expected_size=expected_size)
    return run(verifier, iter_events(chain), expected_size=expected_size)
