"""Readiness checks: the database, the Celery broker and at least one worker."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from django.db import connection

from portal.celery import app as celery_app

BROKER_TIMEOUT_S = 2
WORKER_PING_TIMEOUT_S = 1.5
# Anyone may call /readyz (load balancers do, every few seconds): one broadcast ping to the workers serves
# every caller for this long, so the endpoint cannot be used to flood the broker.
READINESS_CACHE_S = 5.0
_cache_lock = threading.Lock()
_cached: tuple[float, list[Check]] | None = None


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


def check_database() -> Check:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:
        return Check("database", False, f"unreachable ({type(exc).__name__})")
    return Check("database", True, connection.vendor)


def check_broker() -> Check:
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=BROKER_TIMEOUT_S)
            transport = conn.transport_cls
    except Exception as exc:
        return Check("broker", False, f"unreachable ({type(exc).__name__})")
    return Check("broker", True, str(transport))


def check_workers() -> Check:
    try:
        replies = celery_app.control.inspect(timeout=WORKER_PING_TIMEOUT_S).ping() or {}
    except Exception as exc:
        return Check("worker", False, f"no answer ({type(exc).__name__})")
    if not replies:
        return Check("worker", False, "no worker answered")
    return Check("worker", True, f"{len(replies)} answering")


def readiness() -> list[Check]:
    """The three checks, measured at most once per READINESS_CACHE_S seconds per process."""
    global _cached
    with _cache_lock:
        now = time.monotonic()
        if _cached is not None and now - _cached[0] < READINESS_CACHE_S:
            return _cached[1]
        checks = _measure()
        _cached = (time.monotonic(), checks)
        return checks


def readiness_cache_clear() -> None:
    global _cached
    with _cache_lock:
        _cached = None


def _measure() -> list[Check]:
    database = check_database()
    broker = check_broker()
    workers = check_workers() if broker.ok else Check("worker", False, "not checked: broker unreachable")
    return [database, broker, workers]
