"""A job run: which worker holds a queued job (a scan, a report, a rotation...) and how often it was re-run.

Core sits below every app, so a run names its job by task name and row id, and its organisation by pk only."""

from __future__ import annotations

from django.db import models


class RunStatus(models.TextChoices):
    QUEUED = "queued"  # sent to the broker, no worker holds it
    RUNNING = "running"  # a worker holds the lease
    DONE = "done"  # the task returned (the job row says how it went)
    FAILED = "failed"  # given up after too many attempts


class JobRun(models.Model):
    kind = models.CharField(max_length=100, help_text="the Celery task's name")
    object_id = models.BigIntegerField(help_text="the pk of the job's row (the task's only argument)")
    organization_id = models.BigIntegerField(null=True, blank=True)
    resource_id = models.CharField(max_length=48, blank=True, help_text="the job row's public id")
    status = models.CharField(max_length=8, choices=RunStatus.choices, default=RunStatus.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0, help_text="leases taken by workers")
    recoveries = models.PositiveSmallIntegerField(default=0, help_text="re-queued after the worker stopped")
    holder = models.CharField(max_length=200, blank=True, help_text="host:pid:start-time of the process running it")
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    progress_percent = models.PositiveSmallIntegerField(default=0)
    failure_reason = models.CharField(max_length=300, blank=True)
    queued_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    recovered_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "object_id"], name="one_run_per_job")]
        indexes = [models.Index(fields=["status"], name="jobrun_status")]

    def __str__(self) -> str:
        return f"{self.kind}({self.object_id}) {self.status}"

    @property
    def retried_after_crash(self) -> bool:
        return self.recoveries > 0
