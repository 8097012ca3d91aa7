"""Prometheus instruments the apps update on their hot paths (exposed at `/metrics` by `portal.metrics`).

Labels only ever take values from fixed sets written in code (stage names, PHI entity types, modes, task
names): never a prompt, a name, a user, an organisation or any other identifier. `label_value` enforces it.
Under gunicorn and Celery the instruments write to `PROMETHEUS_MULTIPROC_DIR` (set by `portal.settings`), so
every process's counts add up in one scrape.
"""

from __future__ import annotations

import glob
import os
import time
from collections.abc import Iterable, Mapping

from prometheus_client import Counter, Gauge, Histogram

if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):  # each instrument below opens its file there at once
    os.makedirs(os.environ["PROMETHEUS_MULTIPROC_DIR"], exist_ok=True)

# Gateway stages take between tens of microseconds (policy) and seconds (a real model): one bucket set for all.
STAGE_BUCKETS = (0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
LAG_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300)
GATEWAY_STAGES = ("policy", "compliance", "phi_prompt", "provider", "phi_answer", "audit")
OTHER = "other"
PHI_MODES = ("off", "detect", "redact", "reject", "deidentify")
OUTCOMES = ("success", "denied", "error", "cancelled")

GATEWAY_STAGE_SECONDS = Histogram(
    "paitient_gateway_stage_seconds",
    "Time the inference gateway spent in each stage of one call.",
    ["stage"],
    buckets=STAGE_BUCKETS,
)
GATEWAY_CALLS = Counter(
    "paitient_gateway_calls_total", "Inference gateway calls by PHI mode and outcome.", ["mode", "outcome"]
)
PHI_DETECTIONS = Counter(
    "paitient_phi_detections_total",
    "PHI entities the gateway found, by entity type, PHI mode and where (prompt or response).",
    ["entity_type", "mode", "where"],
)
AUDIT_APPENDED = Counter(
    "paitient_audit_events_appended_total", "Audit events written (a rolled-back transaction's included)."
)
AUDIT_SEQUENCED = Counter("paitient_audit_events_sequenced_total", "Audit events the sequencer chained.")
AUDIT_SEQUENCING_LAG = Histogram(
    "paitient_audit_sequencing_lag_seconds",
    "Seconds from an audit event's timestamp to its sequencing.",
    buckets=LAG_BUCKETS,
)
AUDIT_LAST_BATCH_LAG = Gauge(
    "paitient_audit_sequencing_last_batch_lag_seconds",
    "Largest sequencing lag in the sequencer's most recent batch.",
    multiprocess_mode="mostrecent",
)
CELERY_TASK_FAILURES = Counter("paitient_celery_task_failures_total", "Celery tasks that failed, by task.", ["task"])


def label_value(value: str, allowed: Iterable[str]) -> str:
    """`value` when it is one of the allowed (code-defined) values, else `other`: no free text reaches a label."""
    return value if value in allowed else OTHER


class StageClock:
    """Times consecutive stages of one call: `lap("policy")` ends the stage that began at the previous lap."""

    def __init__(self) -> None:
        self.started = self.last = time.perf_counter()
        self.stages: dict[str, float] = {}

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.stages[stage] = self.stages.get(stage, 0.0) + (now - self.last)
        self.last = now

    def skip(self) -> None:
        """Start the next stage here without charging the time since the last lap to any stage."""
        self.last = time.perf_counter()

    def observe(self) -> None:
        for stage, seconds in self.stages.items():
            GATEWAY_STAGE_SECONDS.labels(label_value(stage, GATEWAY_STAGES)).observe(seconds)


def count_gateway_call(
    mode: str, outcome: str, *, entity_types: Iterable[str] = (), prompt: Mapping[str, int] | None = None,
    response: Mapping[str, int] | None = None,
) -> None:  # fmt: skip
    """One gateway call's outcome and the PHI entity types it found: counts only, and a type outside
    `entity_types` (the PHI engine's fixed list; core may not import phi) is counted as `other`."""
    entity_types = frozenset(entity_types)
    mode = label_value(mode, PHI_MODES)
    GATEWAY_CALLS.labels(mode, label_value(outcome, OUTCOMES)).inc()
    for where, counts in (("prompt", prompt), ("response", response)):
        for entity_type, count in (counts or {}).items():
            PHI_DETECTIONS.labels(label_value(entity_type, entity_types), mode, where).inc(count)


def record_sequenced(lags: list[float]) -> None:
    if not lags:
        return
    AUDIT_SEQUENCED.inc(len(lags))
    for lag in lags:
        AUDIT_SEQUENCING_LAG.observe(lag)
    AUDIT_LAST_BATCH_LAG.set(max(lags))


def wipe_metrics_folder() -> None:
    """At a server's start (gunicorn master, Celery worker): an empty PROMETHEUS_MULTIPROC_DIR, so that files
    of processes from a previous run are not added to this run's figures."""
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not folder:
        return
    os.makedirs(folder, exist_ok=True)
    for path in glob.glob(os.path.join(folder, "*.db")):
        os.unlink(path)
