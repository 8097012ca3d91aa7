"""The Celery application: queues, routing, beat schedule; tasks take ids and are acked late."""

from __future__ import annotations

import os
from pathlib import Path

from celery import Celery
from celery.schedules import crontab
from kombu import Exchange, Queue

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

QUEUES = ("provisioning", "phi", "reports", "maintenance")

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
        "audit-sequence": {"task": "audit.tasks.sequence_pending", "schedule": 5.0, "options": {"expires": 5}},
        "audit-checkpoint": {"task": "audit.tasks.checkpoint_chains", "schedule": crontab(minute="*/10")},
        "reidentification-purge": {
            "task": "deployments.tasks.purge_reidentification_maps",
            "schedule": 60.0,
            "options": {"queue": "maintenance", "expires": 60},
        },
        "deployments-reconcile": {
            "task": "deployments.tasks.reconcile_deployments",
            "schedule": 30.0,
            "options": {"expires": 30},
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
        "clear-expired-sessions": {
            "task": "accessctl.tasks.clear_expired_sessions",
            "schedule": crontab(minute=17),
            "options": {"queue": "maintenance"},
        },
    },
    timezone="UTC",
)
app.autodiscover_tasks()


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
