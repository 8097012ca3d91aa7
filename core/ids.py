"""Public identifiers: a type prefix and random base32 (`org_…`, `user_…`, `dep_…`), never a row number."""

from __future__ import annotations

import base64
import secrets


def new_public_id(prefix: str, *, length: int = 16) -> str:
    raw = base64.b32encode(secrets.token_bytes(10 + length)).decode("ascii").lower().rstrip("=")
    return f"{prefix}_{raw[:length]}"
