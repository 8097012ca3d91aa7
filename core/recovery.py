"""The recovery sweep: a job (scan, report, key rotation, provisioning, notice) whose worker died is queued again.

Each app registers its job task here (`register_job`, from its AppConfig.ready) with how to tell whether the job
row still waits, how to fail it, and who it belongs to; core imports no app. The queueing path
(`core.queueing.enqueue_on_commit`) opens a run for every registered task it sends, and the task holds the
run's lease while it works (`core.leases.job_lease`). The sweep (beat, every JOB_RECOVERY_SWEEP_SECONDS, and
once when a worker starts) looks at every open run:

- running, but its lease is dead (core/leases.py): the worker stopped mid-job; the file broker deleted the
  message when the worker took it, and on Redis acks-late may or may not give it back: queue it again;
- queued for longer than the task's own time limit with no worker holding it: the message was lost; queue it
  again;
- after JOB_MAX_ATTEMPTS runs the job is failed instead, with a reason the console and the API show.

Every re-queue and give-up is audited in the same transaction (the audit app registers the writer). Tasks are
idempotent and take the lease first, so a second delivery of a job a live worker runs does nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import structlog
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from core.leases import describe_job, lease_alive
from core.models import JobRun, RunStatus

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class RecoverableJob:
    """A task whose only argument is the pk of a job row that stays open until the task settles it."""

    task: Any  # the Celery task: its name, `delay` and `time_limit` (seconds) are used
    is_open: Callable[[int], bool]  # the row exists and still waits for a worker (queued or running)
    fail: Callable[[int, str], None]  # mark the row failed with this reason, in the caller's transaction
    describe: Callable[[int], tuple[int | None, str]]  # (organization pk, public id) of the row
    noun: str  # what the console calls it: "report", "PHI scan", "key rotation"...

    @property
    def time_limit(self) -> int:
        return int(self.task.time_limit or 3600)


EventWriter = Callable[[JobRun, str, dict[str, Any]], None]

_jobs: dict[str, RecoverableJob] = {}
_event_writer: list[EventWriter] = []


def register_job(job: RecoverableJob) -> None:
    _jobs[job.task.name] = job


def registered_job(kind: str) -> RecoverableJob | None:
    return _jobs.get(kind)


def register_event_writer(writer: EventWriter) -> None:
    """The audit app's writer for `job.requeued` / `job.failed` (core cannot import the audit log)."""
    _event_writer[:] = [writer]


def _describe(kind: str, object_id: int) -> tuple[int | None, str]:
    job = _jobs.get(kind)
    return job.describe(object_id) if job is not None else (None, "")


describe_job[:] = [_describe]


def job_queued(task: Any, object_id: int) -> JobRun | None:
    """Open (or re-open) the run of a registered job being queued; in the caller's transaction."""
    job = _jobs.get(getattr(task, "name", ""))
    if job is None:
        return None
    organization_id, resource_id = job.describe(object_id)
    run, _ = JobRun.objects.update_or_create(
        kind=job.task.name,
        object_id=object_id,
        defaults={"organization_id": organization_id, "resource_id": resource_id, "status": RunStatus.QUEUED,
                  "attempts": 0, "recoveries": 0, "holder": "", "heartbeat_at": None, "progress_percent": 0,
                  "failure_reason": "", "queued_at": timezone.now(), "started_at": None, "recovered_at": None,
                  "finished_at": None},
    )  # fmt: skip
    return run


def job_run(task_or_kind: Any, object_id: int) -> JobRun | None:
    kind = task_or_kind if isinstance(task_or_kind, str) else task_or_kind.name
    return JobRun.objects.filter(kind=kind, object_id=object_id).first()


def _lost(run: JobRun, job: RecoverableJob) -> str | None:
    """Why the run needs a worker again, or None while one holds it (or may still take it)."""
    if run.status == RunStatus.RUNNING:
        return None if lease_alive(run) else "the worker running it stopped"
    waited = timezone.now() - run.queued_at
    if waited > timedelta(seconds=job.time_limit):
        return "no worker took it within its time limit"
    return None


def recovery_sweep() -> dict[str, int]:
    """Queue again every open job no live worker holds; fail those out of attempts. Returns counts."""
    counts = {"checked": 0, "requeued": 0, "failed": 0, "closed": 0}
    open_runs = JobRun.objects.filter(status__in=[RunStatus.QUEUED, RunStatus.RUNNING]).order_by("pk")
    for run_pk, kind in open_runs.values_list("pk", "kind"):
        job = _jobs.get(kind)
        if job is None:
            continue
        counts["checked"] += 1
        try:
            outcome = _recover(run_pk, job)
        except Exception as exc:  # one job's trouble (e.g. the audit log refused) must not stop the others
            log.error("job.recovery_failed", kind=kind, run=run_pk, exception_type=type(exc).__name__)
            continue
        if outcome:
            counts[outcome] += 1
    return counts


@transaction.atomic
def _recover(run_pk: int, job: RecoverableJob) -> str | None:
    run = JobRun.objects.select_for_update().get(pk=run_pk)
    if run.status not in {RunStatus.QUEUED, RunStatus.RUNNING}:
        return None
    if not job.is_open(run.object_id):  # settled, or gone, without the run hearing of it
        run.status, run.holder, run.finished_at = RunStatus.DONE, "", timezone.now()
        run.save(update_fields=["status", "holder", "finished_at"])
        return "closed"
    reason = _lost(run, job)
    if reason is None:
        return None
    if not _event_writer:
        raise RuntimeError("no audit writer is registered for job recovery")
    write_event = _event_writer[0]
    details = {"kind": run.kind, "attempts": run.attempts, "reason": reason}
    if run.attempts >= settings.JOB_MAX_ATTEMPTS:
        failure = f"Stopped after {run.attempts} attempts: {reason}."
        job.fail(run.object_id, failure)
        run.status, run.holder, run.failure_reason = RunStatus.FAILED, "", failure
        run.finished_at = timezone.now()
        run.save(update_fields=["status", "holder", "failure_reason", "finished_at"])
        write_event(run, "job.failed", details)
        log.warning("job.failed", kind=run.kind, object_id=run.object_id, attempts=run.attempts)
        return "failed"
    now = timezone.now()
    run.status, run.holder, run.queued_at, run.recovered_at = RunStatus.QUEUED, "", now, now
    run.recoveries += 1
    run.save(update_fields=["status", "holder", "queued_at", "recovered_at", "recoveries"])
    write_event(run, "job.requeued", details)
    log.warning("job.requeued", kind=run.kind, object_id=run.object_id, attempts=run.attempts)
    object_id = run.object_id
    transaction.on_commit(lambda: job.task.delay(object_id))
    return "requeued"


def row_job(
    *,
    task: Any,
    model: Any,
    open_states: Sequence[str],
    fail: Callable[[int, str], None],
    noun: str,
    field: str = "status",
) -> RecoverableJob:
    """A job whose row has `organization`, `public_id` and a state `field` that is in `open_states` until done."""
    manager = model._default_manager

    def is_open(pk: int) -> bool:
        return bool(manager.filter(pk=pk, **{f"{field}__in": open_states}).exists())

    def describe(pk: int) -> tuple[int | None, str]:
        row = manager.filter(pk=pk).values_list("organization_id", "public_id").first()
        return (row[0], str(row[1])) if row else (None, "")

    return RecoverableJob(task=task, is_open=is_open, fail=fail, describe=describe, noun=noun)
