"""Verify the live audit table with the same verifier the offline bundle check uses."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from audit.models import AuditEvent, ChainHead, Checkpoint, SigningKey
from audit.services import canonical_timestamp, sequence_chain
from audit.verify import ChainVerifier, CheckpointRecord, Report, run

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
        "details": details,
    }


def iter_events(chain: str) -> Iterator[tuple[int, Mapping[str, Any], str, str, str]]:
    """Every sequenced event of `chain`, in seq order, streamed in chunks by seq range."""
    rows = (
        AuditEvent.objects.filter(chain=chain, seq__isnull=False).order_by("seq").values_list(*ROW_FIELDS)
    ).iterator(chunk_size=CHUNK)
    for row in rows:
        yield row[0], content_from_row(row), row[16], row[17], row[18]


def verify_chain(chain: str, *, sequence_first: bool = True) -> Report:
    if sequence_first:
        sequence_chain(chain)
    head = ChainHead.objects.filter(chain=chain).first()
    return run(
        lambda: ChainVerifier(
            chain=chain,
            checkpoints=checkpoint_records(chain),
            public_keys=public_keys(),
            anchor_seq=head.anchor_seq if head else 0,
            anchor_hash=head.anchor_hash if head else "",
            anchor_frontier=head.anchor_frontier if head else None,
        ),
        iter_events(chain),
        expected_size=head.size if head else None,
    )
