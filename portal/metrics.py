"""`/metrics` for Prometheus: every process's instruments, plus figures read from the database and broker
at scrape time (audit backlog, deployments by state, Celery queue depth).

Off (404) unless `PAITIENT_METRICS_TOKEN` is set; then a scrape must send `Authorization: Bearer <token>`.
No label holds anything a client sent: states, queues, stages and entity types are fixed lists in code.
"""

from __future__ import annotations

import glob
import hmac
import os
from collections.abc import Iterator
from typing import Any

import structlog
from django.conf import settings
from django.db import DatabaseError
from django.db.models import Count, Min
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from kombu.exceptions import ChannelError
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from audit.models import AuditEvent
from core.metrics import OTHER
from deployments.models import Deployment, State
from portal.celery import QUEUES, app

log = structlog.get_logger(__name__)

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
BROKER_TIMEOUT_S = 2


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value)


class DatabaseFigures(Collector):
    """The audit sequencer's backlog and the deployments by state, read at each scrape."""

    def collect(self) -> Iterator[Metric]:
        try:
            backlog = AuditEvent.objects.filter(seq__isnull=True).aggregate(n=Count("id"), oldest=Min("timestamp"))
            states = dict(Deployment.objects.values_list("state").annotate(n=Count("id")).values_list("state", "n"))
        except DatabaseError as exc:
            log.warning("metrics.database_unavailable", exception_type=type(exc).__name__)
            yield _gauge("paitient_database_up", "Whether the scrape could read the database.", 0)
            return
        yield _gauge("paitient_database_up", "Whether the scrape could read the database.", 1)
        yield _gauge("paitient_audit_unsequenced_events", "Audit events not yet sequenced.", backlog["n"])
        oldest = backlog["oldest"]
        age = (timezone.now() - oldest).total_seconds() if oldest is not None else 0.0
        yield _gauge(
            "paitient_audit_sequencing_lag_seconds_now",
            "Age of the oldest audit event the sequencer has not reached yet (0 when none is waiting).",
            max(age, 0.0),
        )
        by_state = GaugeMetricFamily("paitient_deployments", "Deployments by state.", labels=["state"])
        for state in State.values:
            by_state.add_metric([state], states.get(state, 0))
        unknown = sum(n for state, n in states.items() if state not in State.values)
        if unknown:
            by_state.add_metric([OTHER], unknown)
        yield by_state


class CeleryQueues(Collector):
    """Messages waiting in each Celery queue, asked of the broker at each scrape."""

    def collect(self) -> Iterator[Metric]:
        depth = GaugeMetricFamily("paitient_celery_queue_depth", "Messages waiting per Celery queue.", labels=["queue"])
        try:
            with app.connection_for_read() as connection:
                connection.ensure_connection(max_retries=1, timeout=BROKER_TIMEOUT_S)
                channel: Any = connection.default_channel  # a kombu channel: queue_declare is on every transport
                for queue in QUEUES:
                    try:
                        _, count, _ = channel.queue_declare(queue=queue, passive=True)
                    except ChannelError:  # Redis keeps no empty queue: "not found" means nothing is waiting
                        count = 0
                    depth.add_metric([queue], count)
        except Exception as exc:  # any broker failure is a 0 on broker_up, not a failed scrape
            log.warning("metrics.broker_unavailable", exception_type=type(exc).__name__)
            yield _gauge("paitient_broker_up", "Whether the scrape could reach the Celery broker.", 0)
            return
        yield _gauge("paitient_broker_up", "Whether the scrape could reach the Celery broker.", 1)
        yield depth


class ProcessFiles(Collector):
    """Instruments of every process that writes to the multiprocess folders (gunicorn workers, Celery)."""

    def __init__(self, folders: list[str]) -> None:
        self.folders = folders

    def collect(self) -> Iterator[Metric]:
        files = [path for folder in self.folders for path in glob.glob(os.path.join(folder, "*.db"))]
        yield from MultiProcessCollector.merge(files, accumulate=True)  # type: ignore[no-untyped-call]


def scrape_registry() -> CollectorRegistry:
    registry = CollectorRegistry()
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder:  # under gunicorn and Celery: each process writes its own files; add them all up
        registry.register(ProcessFiles([folder, *settings.PAITIENT_METRICS_EXTRA_DIRS]))
    else:  # one process (development, tests): its own registry, with process and platform figures
        registry.register(_Forward(REGISTRY))
    registry.register(DatabaseFigures())
    registry.register(CeleryQueues())
    return registry


class _Forward(Collector):
    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry

    def collect(self) -> Iterator[Metric]:
        yield from self.registry.collect()


def _authorised(request: HttpRequest, token: str) -> bool:
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode())


@require_GET
@never_cache
def metrics(request: HttpRequest) -> HttpResponse:
    token: str = settings.PAITIENT_METRICS_TOKEN
    if not token:  # the operator has not turned metrics on
        return HttpResponse(status=404)
    if not _authorised(request, token):
        response = HttpResponse("a scrape token is required\n", status=401, content_type="text/plain")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    body: Any = generate_latest(scrape_registry())
    return HttpResponse(body, content_type=CONTENT_TYPE)
