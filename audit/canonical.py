"""The canonical encoding of an audit event and its hashes (no Django: the offline verifier uses it).

Encoding v1 — the bytes hashed for event E are the UTF-8 JSON array (no spaces, keys of `details`
sorted, non-ASCII kept):

    ["paitient-audit/1", id, chain, timestamp, actor_type, actor_id, user_id, api_key_id,
     ip, user_agent, request_id, event_type, resource, resource_id, outcome, details]

`timestamp` is UTC ISO 8601 with microseconds and a `Z` (`2026-11-25T17:01:27.123456Z`);
absent values are JSON null. Then

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


def canonical_bytes(event: Mapping[str, Any]) -> bytes:
    """`event` holds every name in FIELDS; `timestamp` already in its canonical string form."""
    return _encoder.encode([FORMAT, *(event[name] for name in FIELDS)]).encode("utf-8")


def leaf_hash(event: Mapping[str, Any]) -> bytes:
    return hashlib.sha256(b"\x00" + canonical_bytes(event)).digest()


def chain_hash(prev_hash: bytes, leaf: bytes) -> bytes:
    return hashlib.sha256(prev_hash + leaf).digest()


def checkpoint_message(*, chain: str, tree_size: int, root_hash: str, timestamp: str) -> bytes:
    """The exact bytes an audit checkpoint's Ed25519 signature covers."""
    return f"paitient-audit-checkpoint/1\n{chain}\n{tree_size}\n{root_hash}\n{timestamp}\n".encode()
