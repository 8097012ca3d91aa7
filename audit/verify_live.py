"""Verify the live audit table (in the database) with the same verifier `audit/verify.py` runs offline on export
bundles."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from django.db import connection, transaction
from django.db.models import Max

from audit.canonical import canonical_text, encode_details
from audit.models import AuditEvent, ChainHead, Checkpoint, SigningKey
from audit.services import canonical_timestamp, sequence_chain
from audit.verify import (
    ChainVerifier,
    CheckpointRecord,
    EventRow,
    Report,
    run,
    run_segments,
)
from audit.verify_segments import CHUNK, EVENTS_SQL, conninfo_from, parallel_segments

ROW_FIELDS = (
    "seq", "event_id", "chain", "timestamp", "actor_type", "actor_id", "user_id", "api_key_id", "ip", "user_agent",
    "request_id", "event_type", "resource", "resource_id", "outcome", "details", "leaf_hash", "prev_hash", "hash",
)  # fmt: skip


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
        cursor.execute(EVENTS_SQL, [chain, first_seq, last_seq])
        yield from cursor


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
    # In parallel the ranges are read on connections of their own: they cannot see the caller's transaction.
    parallel = (
        head is not None
        and connection.vendor == "postgresql"
        and not connection.in_atomic_block
        and workers > 1
        and head.size - head.anchor_seq >= PARALLEL_MIN_EVENTS
    )
    if parallel and head is not None:
        built = verifier()  # checkpoints and keys read once, here; the spawned processes read only events
        last = AuditEvent.objects.filter(chain=chain).aggregate(last=Max("seq"))["last"] or head.size
        conninfo = conninfo_from(connection.get_connection_params())
        segments = parallel_segments(conninfo, chain, head.anchor_seq + 1, max(last, head.size), workers)
        return run_segments(lambda: built, segments, expected_size=expected_size)
    return run(verifier, iter_events(chain), expected_size=expected_size)
