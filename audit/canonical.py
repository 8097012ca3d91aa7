"""The canonical encoding of an audit event and its hashes (no Django: the offline verifier uses it).

Encoding v1 — the bytes hashed for event E are the UTF-8 JSON array (no spaces, object keys
sorted, non-ASCII kept as is, control characters escaped as JSON requires):

    ["paitient-audit/1", id, chain, timestamp, actor_type, actor_id, user_id, api_key_id,
     ip, user_agent, request_id, event_type, resource, resource_id, outcome, details]

`timestamp` is UTC ISO 8601 with microseconds and a `Z` (`2026-11-25T17:01:27.123456Z`);
`ip` is null or the address in its compressed form; `details` is an object, stored in the database
as exactly this canonical text so PostgreSQL can rebuild the array itself. Then

    leaf_hash(E) = SHA-256(0x00 || bytes(E))            (RFC 9162 Merkle leaf)
    hash(E_n)    = SHA-256(prev_hash || leaf_hash(E_n)) (the chain; prev_hash of seq 1 is 32 zero bytes)

and a checkpoint signs the RFC 9162 Merkle root over leaf hashes in `seq` order.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

FORMAT = "paitient-audit/1"
GENESIS_HASH = bytes(32)
FIELDS = (
    "id",
    "chain",
    "timestamp",
    "actor_type",
    "actor_id",
    "user_id",
    "api_key_id",
    "ip",
    "user_agent",
    "request_id",
    "event_type",
    "resource",
    "resource_id",
    "outcome",
    "details",
)

_encoder = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), sort_keys=True, allow_nan=False)


def encode_details(details: Mapping[str, Any]) -> str:
    return _encoder.encode(details)


def canonical_text(event: Mapping[str, Any]) -> str:
    """`event` holds every name in FIELDS: `timestamp` in its canonical string form and `details`
    as its canonical JSON text (what `encode_details` returns)."""
    return canonical_text_of(tuple(event[name] for name in FIELDS[:-1]), event["details"])


def canonical_text_of(fields: tuple[Any, ...], details_text: str) -> str:
    """The same text from the values of FIELDS but `details`, in order, and the canonical details text."""
    head = _encoder.encode([FORMAT, *fields])
    return f"{head[:-1]},{details_text}]"


def text_leaf_hash(text: str) -> bytes:
    return hashlib.sha256(b"\x00" + text.encode("utf-8")).digest()


def leaf_hash(event: Mapping[str, Any]) -> bytes:
    return text_leaf_hash(canonical_text(event))


def chain_hash(prev_hash: bytes, leaf: bytes) -> bytes:
    return hashlib.sha256(prev_hash + leaf).digest()


def checkpoint_message(*, chain: str, tree_size: int, root_hash: str, timestamp: str) -> bytes:
    """The exact bytes an audit checkpoint's Ed25519 signature covers."""
    return f"paitient-audit-checkpoint/1\n{chain}\n{tree_size}\n{root_hash}\n{timestamp}\n".encode()
