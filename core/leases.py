"""Leases on job runs: the process running a job holds its run, renews it with a heartbeat, and gives it back.

A lease names its holder as `host:pid:start-time`. On the holder's own machine a lease is dead as soon as that
process is gone (a pid reused by another process has another start time); from anywhere, a lease not renewed
for JOB_LEASE_SECONDS is dead. That needs nothing from the broker, so it works the same on the file broker and
on Redis, and on a worker too busy (solo pool) to answer Celery's inspect.
"""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from functools import cache
from pathlib import Path
from typing import Any

import structlog
from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from core.models import JobRun, RunStatus

log = structlog.get_logger(__name__)


def _start_time(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (from /proc), or None when there is no such process."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return None if fields[0] in {"Z", "X"} else fields[19]  # state, ..., starttime (field 22 of stat)


@cache
def _host() -> str:
    return socket.gethostname()


def holder_id() -> str:
    pid = os.getpid()
    return f"{_host()}:{pid}:{_start_time(pid) or 0}"


def lease_alive(run: JobRun) -> bool:
    """The run's holder still runs it: its heartbeat is recent and, on this machine, its process exists."""
    if not run.holder or run.heartbeat_at is None:
        return False
    if run.heartbeat_at < timezone.now() - timedelta(seconds=settings.JOB_LEASE_SECONDS):
        return False
    host, _, rest = run.holder.partition(":")
    if host != _host():
        return True  # another machine: its heartbeat is all there is to go by
    pid, _, started = rest.partition(":")
    return pid.isdigit() and _start_time(int(pid)) == started


# Who a job belongs to, for a run opened here rather than by the queueing path (set by core/recovery.py, which
# holds the registry of jobs and imports this module).
describe_job: list[Callable[[str, int], tuple[int | None, str]]] = []


def _acquire(kind: str, object_id: int, holder: str, *, once: bool) -> JobRun | None:
    now = timezone.now()
    with transaction.atomic():
        run = JobRun.objects.select_for_update().filter(kind=kind, object_id=object_id).first()
        if run is None:  # called without the queueing path (in-process, or queued before runs existed)
            organization_id, resource_id = describe_job[0](kind, object_id) if describe_job else (None, "")
            run = JobRun(kind=kind, object_id=object_id, queued_at=now, organization_id=organization_id,
                         resource_id=resource_id)  # fmt: skip
        elif run.status == RunStatus.RUNNING and run.holder != holder and lease_alive(run):
            return None  # a live worker runs it (a duplicate delivery): leave it to that one
        elif once and run.status == RunStatus.DONE:
            return None  # done already, and only the run says so: a late duplicate delivery
        run.status, run.holder, run.heartbeat_at = RunStatus.RUNNING, holder, now
        run.started_at, run.attempts, run.finished_at = now, run.attempts + 1, None
        run.save()
        return run


def _release(run: JobRun, holder: str, *, still_open: bool) -> None:
    status = RunStatus.QUEUED if still_open else RunStatus.DONE
    now = timezone.now()
    JobRun.objects.filter(pk=run.pk, holder=holder, status=RunStatus.RUNNING).update(
        status=status, holder="", finished_at=None if still_open else now, queued_at=now
    )


class _Heartbeat(threading.Thread):
    """Renews the lease every JOB_HEARTBEAT_SECONDS from its own database connection until stopped."""

    def __init__(self, run_pk: int, holder: str) -> None:
        super().__init__(name=f"job-heartbeat-{run_pk}", daemon=True)
        self.run_pk, self.holder, self.stopped = run_pk, holder, threading.Event()

    def run(self) -> None:
        try:
            while not self.stopped.wait(settings.JOB_HEARTBEAT_SECONDS):
                try:
                    JobRun.objects.filter(pk=self.run_pk, holder=self.holder).update(heartbeat_at=timezone.now())
                except DatabaseError as exc:  # locked or briefly unreachable: the next beat tries again
                    log.warning("job.heartbeat_failed", run=self.run_pk, exception_type=type(exc).__name__)
        finally:
            connection.close()


@contextmanager
def job_lease(
    task: Any, object_id: int, *, still_open: Callable[[int], bool] | None = None, once: bool = False
) -> Iterator[bool]:
    """Hold the lease on the job `task(object_id)` while the block runs; yields False (and holds nothing) when
    a live worker already runs it, or, with `once` (a job whose run is its only row, such as a re-encryption),
    when it is done already. Afterwards the run is done, or queued again when `still_open()` says the job row
    still waits (a retry, or an error the task did not settle)."""
    holder = holder_id()
    run = _acquire(task.name, object_id, holder, once=once)
    if run is None:
        log.info("job.already_held", kind=task.name, object_id=object_id)
        yield False
        return
    # Only a worker's run needs renewing; a task called in-process (tests, a shell) ends before anyone looks, and
    # its caller's open transaction may hold the (SQLite) database a second connection would wait for.
    heartbeat = None if task.request.called_directly else _Heartbeat(run.pk, holder)
    if heartbeat is not None:
        heartbeat.start()
    finished = False
    try:
        yield True
        finished = True
    finally:
        if heartbeat is not None:
            heartbeat.stopped.set()
            heartbeat.join(timeout=settings.JOB_HEARTBEAT_SECONDS + 5)
        open_now = not finished or bool(still_open and still_open(object_id))
        _release(run, holder, still_open=open_now)


def job_progress(task: Any, object_id: int, percent: int) -> None:
    """Record progress on the run itself (for jobs without a row of their own, such as a key rotation)."""
    JobRun.objects.filter(kind=task.name, object_id=object_id, holder=holder_id()).update(
        progress_percent=max(0, min(100, percent)), heartbeat_at=timezone.now()
    )
