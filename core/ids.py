"""Public identifiers: a type prefix and random base32 (`org_…`, `user_…`, `dep_…`), never a row number."""

from __future__ import annotations

import base64
import secrets
import time


def new_public_id(prefix: str, *, length: int = 16) -> str:
    raw = base64.b32encode(secrets.token_bytes(10 + length)).decode("ascii").lower().rstrip("=")
    return f"{prefix}_{raw[:length]}"


# The base32 letters in ASCII order (digits before letters), so that the text sorts as the number does.
_BASE32 = "234567abcdefghijklmnopqrstuvwxyz"
_PAIRS = [a + b for a in _BASE32 for b in _BASE32]  # ten bits at a time: the hot path makes ten lookups


def new_ordered_id(prefix: str) -> str:
    """A public id that sorts by creation time: 48 bits of milliseconds, then 50 random bits, as 20 base32
    characters. Rows that are only ever appended (audit events) then enter a unique index at its right edge;
    random ids scatter every insert over the whole index (more pages dirtied and written per row)."""
    value = (time.time_ns() // 1_000_000) << 50 | secrets.randbits(50)
    chars = [_PAIRS[(value >> shift) & 1023] for shift in range(90, -1, -10)]
    return f"{prefix}_{''.join(chars)}"
