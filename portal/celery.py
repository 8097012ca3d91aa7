"""The Celery application: queues, routing, beat schedule; tasks take ids and are acked late."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from celery import Celery, signals
from celery.schedules import crontab
from celery.signals import task_failure, worker_init
from django.conf import settings
from kombu import Exchange, Queue

from core.config import env_int
from core.metrics import CELERY_TASK_FAILURES, label_value, wipe_metrics_folder

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

QUEUES = ("provisioning", "phi", "reports", "maintenance")
RECOVERY_SWEEP_SECONDS = env_int("PAITIENT_JOB_RECOVERY_SWEEP_SECONDS", 60)  # settings.JOB_RECOVERY_SWEEP_SECONDS
RECONCILE_SECONDS = env_int("PAITIENT_RECONCILE_SECONDS", 30)
SIEM_DELIVERY_SECONDS = env_int("PAITIENT_SIEM_DELIVERY_SECONDS", 10)

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.update(
    task_serializer="json",
    result_serializer="json",
    accept_content=["json"],
    result_accept_content=["json"],
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    task_track_started=True,
    task_default_queue="maintenance",
    task_default_exchange="maintenance",
    task_default_routing_key="maintenance",
    task_queues=[Queue(name, Exchange(name, type="direct"), routing_key=name) for name in QUEUES],
    task_routes={
        "deployments.tasks.*": {"queue": "provisioning"},
        "phi.tasks.*": {"queue": "phi"},
        "scans.tasks.*": {"queue": "phi"},
        "reports.tasks.*": {"queue": "reports"},
        "incidents.tasks.render_*": {"queue": "reports"},
    },
    result_expires=24 * 3600,
    broker_connection_retry_on_startup=True,
    beat_schedule={
        "audit-sequence": {"task": "audit.tasks.sequence_pending", "schedule": 1.0, "options": {"expires": 1}},
        "audit-checkpoint": {"task": "audit.tasks.checkpoint_chains", "schedule": crontab(minute="*/10")},
        "jobs-recovery-sweep": {
            "task": "core.tasks.recovery_sweep",
            "schedule": float(RECOVERY_SWEEP_SECONDS),
            "options": {"queue": "maintenance", "expires": RECOVERY_SWEEP_SECONDS},
        },
        "reidentification-purge": {
            "task": "deployments.tasks.purge_reidentification_maps",
            "schedule": 60.0,
            "options": {"queue": "maintenance", "expires": 60},
        },
        "deployments-reconcile": {
            "task": "deployments.tasks.reconcile_deployments",
            "schedule": float(RECONCILE_SECONDS),
            "options": {"expires": RECONCILE_SECONDS},
        },
        "baa-refresh": {
            "task": "compliance.tasks.baa_refresh_all",
            "schedule": crontab(minute=5),
            "options": {"queue": "maintenance"},
        },
        "checklist-snapshot": {
            "task": "compliance.tasks.checklist_snapshot_all",
            "schedule": crontab(hour=4, minute=15),
            "options": {"queue": "maintenance"},
        },
        "emergency-expire": {
            "task": "emergency.tasks.expire_emergency_access",
            "schedule": 60.0,
            "options": {"queue": "maintenance", "expires": 60},
        },
        "audit-retention": {"task": "audit.tasks.retention_purge_all", "schedule": crontab(hour=3, minute=30)},
        "incidents-detect": {
            "task": "incidents.tasks.detect_all",
            "schedule": 60.0,
            "options": {"queue": "maintenance", "expires": 60},
        },
        "access-reviews-daily": {
            "task": "reviews.tasks.access_reviews_daily",
            "schedule": crontab(hour=5, minute=10),
            "options": {"queue": "maintenance"},
        },
        "siem-deliver": {
            "task": "siem.tasks.deliver_due",
            "schedule": float(SIEM_DELIVERY_SECONDS),
            "options": {"queue": "maintenance", "expires": SIEM_DELIVERY_SECONDS},
        },
        "clear-expired-sessions": {
            "task": "accessctl.tasks.clear_expired_sessions",
            "schedule": crontab(minute=17),
            "options": {"queue": "maintenance"},
        },
    },
    timezone="UTC",
)
app.autodiscover_tasks()


@worker_init.connect(dispatch_uid="metrics_fresh_folder")
def _fresh_metrics_folder(**kwargs: Any) -> None:
    wipe_metrics_folder()


@task_failure.connect(dispatch_uid="metrics_task_failure")
def _count_task_failure(sender: Any = None, **kwargs: Any) -> None:
    """A failed task, by name: names come from the registered tasks, never from arguments."""
    name = str(getattr(sender, "name", ""))
    CELERY_TASK_FAILURES.labels(label_value(name, app.tasks.keys())).inc()


@signals.worker_ready.connect
def _sweep_at_start(sender: Any = None, **_: Any) -> None:
    """A worker (re)started after a crash finds the jobs the dead one held at once, not a sweep interval later."""
    if settings.JOB_SWEEP_AT_WORKER_START:
        app.send_task("core.tasks.recovery_sweep", queue="maintenance")


def ensure_filesystem_broker_folders() -> None:
    """The filesystem transport needs its folders to exist before producers or workers start."""
    options = app.conf.broker_transport_options or {}
    for key in ("data_folder_in", "data_folder_out", "processed_folder", "control_folder"):
        folder = options.get(key)
        if folder:
            Path(folder).mkdir(parents=True, exist_ok=True)
    backend = str(app.conf.result_backend or "")
    if backend.startswith("file://"):
        Path(backend.removeprefix("file://")).mkdir(parents=True, exist_ok=True)
