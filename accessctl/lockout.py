"""Whom a failed sign-in counts against (django-axes): the username case-folded, so that `ALICE`, `Alice`
and `alice` share one failure count and one lockout instead of five attempts each."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.http import HttpRequest


def lockout_username(request: HttpRequest, credentials: Mapping[str, Any] | None = None) -> str:
    """`AXES_USERNAME_CALLABLE`: the submitted username, trimmed and lower-cased ("" when none was sent)."""
    username = credentials.get("username") if credentials else None
    if username is None:
        username = getattr(request, "POST", {}).get("username")
    return str(username or "").strip().lower()
