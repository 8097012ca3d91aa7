"""Handing work to the Celery workers, fail closed.

A service that queues work checks the broker *before* it writes (`require_broker`): when the broker cannot be
reached the request is refused (503) and nothing is stored. The task itself is still sent after the commit
(`enqueue_on_commit`), so a worker never looks for a row that is not committed yet; if the broker goes away in
between, the row is kept, marked failed by the caller's `failed` callback (visible, audited, retried by asking
again), and the request still answers 503.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import structlog
from celery import current_app  # the project's app (portal.celery), set current when Django loads `portal`
from django.db import transaction

from core.errors import SafeguardDown
from core.recovery import job_queued

log = structlog.get_logger(__name__)

BROKER_CHECK_SECONDS = 2


class BrokerUnavailable(SafeguardDown):
    """The task broker cannot be reached, so work that needs a worker is refused. Safe to show."""

    problem_code = "queue-unavailable"


def require_broker() -> None:
    """Raise BrokerUnavailable unless a connection to the broker opens within BROKER_CHECK_SECONDS."""
    connection = current_app.connection_for_write()
    try:
        connection.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=BROKER_CHECK_SECONDS)
    except Exception as exc:  # kombu/redis raise several types; which one does not change the answer
        log.error("broker.unavailable", exception_type=type(exc).__name__)
        raise BrokerUnavailable("The task queue is unavailable; nothing was stored. Try again later.") from None
    finally:
        connection.release()


def enqueue_on_commit(task: Any, *args: Any, failed: Callable[[], object]) -> None:
    """Send `task.delay(*args)` once the current transaction commits; if sending fails, call `failed()` (which
    records the row as failed in its own transaction) and raise BrokerUnavailable. A job the recovery sweep
    watches (core/recovery.py) gets its run opened here, in the caller's transaction."""
    if len(args) == 1 and isinstance(args[0], int):
        job_queued(task, args[0])

    def send() -> None:
        try:
            task.delay(*args)
        except Exception as exc:
            log.error("task.enqueue_failed", task=task.name, exception_type=type(exc).__name__)
            try:
                failed()
            except Exception as marking:  # e.g. the audit log is down too: the row stays queued, say so
                log.error("task.mark_failed_failed", task=task.name, exception_type=type(marking).__name__)
            raise BrokerUnavailable(
                "The task queue became unavailable; the request was recorded as failed, not queued. Try again later."
            ) from None

    transaction.on_commit(send)
