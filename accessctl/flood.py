"""Failures anyone can cause without credentials (bad API keys, sign-ins as unknown users) are aggregated per
source, so that nobody can grow the audit chain without limit or drown real events in noise."""

from __future__ import annotations

import time

from django.core.cache import cache

WINDOW_S = 60
# Beyond this many failures a minute from one source, the API refuses with 429 before looking at the key.
REFUSE_AFTER = 60


def _key(event_type: str, source: str | None) -> str:
    return f"audit-flood:{event_type}:{source or '-'}:{int(time.time() // WINDOW_S)}"


def failure_count(event_type: str, source: str | None) -> int:
    """How many such failures this source caused in the current window so far."""
    return int(cache.get(_key(event_type, source), 0))


def repeats_to_record(event_type: str, source: str | None) -> int:
    """Count this failure; return 0 when it need not be written, else the count to write with it.

    The 1st, 2nd, 4th, 8th... failure of a source in a window is written, each with `repeats` = the count so
    far: n attempts cost about log2(n) audit events a minute, and the last one says how many there were.
    """
    key = _key(event_type, source)
    if cache.add(key, 1, timeout=WINDOW_S * 2):
        return 1
    try:
        count = int(cache.incr(key))
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=WINDOW_S * 2)
        return 1
    return count if count & (count - 1) == 0 else 0
