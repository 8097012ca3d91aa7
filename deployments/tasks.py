"""Provisioning workers (queue `provisioning`): take ids, report progress, idempotent, retried; and the
beat task that reconciles what the database says with what the runtimes do."""

from __future__ import annotations

from typing import Any

import structlog
from celery import shared_task

from core.leases import job_lease
from core.queueing import enqueue_on_commit
from deployments.models import Deployment, State
from deployments.providers import ProviderError, provider_for
from deployments.providers.local import owned_runtimes, stop_runtime
from deployments.reidentify import purge_expired
from deployments.services import deployment_provisioned, deployment_transition

log = structlog.get_logger(__name__)


PROVISIONING_STATES = [State.PENDING, State.PROVISIONING]


def provisioning_waits(deployment_id: int) -> bool:
    return Deployment.objects.filter(pk=deployment_id, state__in=PROVISIONING_STATES).exists()


def stopping_waits(deployment_id: int) -> bool:
    return Deployment.objects.filter(pk=deployment_id, state=State.STOPPING).exists()


@shared_task(name="deployments.tasks.provision_deployment", bind=True, acks_late=True, time_limit=30 * 60,
             autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=5)  # fmt: skip
def provision_deployment(self, deployment_id: int) -> str:  # type: ignore[no-untyped-def]
    """Held under the deployment's lease (core/recovery.py queues it again if the worker dies)."""
    with job_lease(self, deployment_id, still_open=provisioning_waits) as held:
        return _provision(deployment_id) if held else "held by another worker"


def _provision(deployment_id: int) -> str:
    deployment = Deployment.objects.select_related("model", "organization").filter(pk=deployment_id).first()
    if deployment is None:
        return "gone"
    if deployment.state not in {State.PENDING, State.FAILED, State.PROVISIONING}:
        return deployment.state  # already done, or stopped meanwhile
    if deployment.state != State.PROVISIONING:
        deployment_transition(deployment_id=deployment_id, to=State.PROVISIONING, stage="starting", percent=5)

    def progress(percent: int, stage: str, **provider_state: Any) -> None:
        deployment_transition(deployment_id=deployment_id, to=State.PROVISIONING, stage=stage, percent=percent,
                              **provider_state)  # fmt: skip

    try:
        provisioned = provider_for(deployment.provider).provision(deployment, progress)
    except ProviderError as exc:
        deployment_transition(deployment_id=deployment_id, to=State.FAILED, stage="failed", reason=str(exc))
        return State.FAILED
    deployment_provisioned(deployment_id=deployment_id, provisioned=provisioned)
    return State.READY


@shared_task(name="deployments.tasks.deprovision_deployment", bind=True, acks_late=True, time_limit=30 * 60,
             autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=5)  # fmt: skip
def deprovision_deployment(self, deployment_id: int) -> str:  # type: ignore[no-untyped-def]
    with job_lease(self, deployment_id, still_open=stopping_waits) as held:
        return _deprovision(deployment_id) if held else "held by another worker"


def _deprovision(deployment_id: int) -> str:
    deployment = Deployment.objects.select_related("model", "organization").filter(pk=deployment_id).first()
    if deployment is None:
        return "gone"
    if deployment.state == State.STOPPED:
        return State.STOPPED

    def progress(percent: int, stage: str, **provider_state: Any) -> None:
        deployment_transition(deployment_id=deployment_id, to=State.STOPPING, stage=stage, percent=percent,
                              **provider_state)  # fmt: skip

    try:
        provider_for(deployment.provider).deprovision(deployment, progress)
    except ProviderError as exc:
        deployment_transition(deployment_id=deployment_id, to=State.FAILED, stage="stop failed", reason=str(exc))
        return State.FAILED
    deployment_transition(deployment_id=deployment_id, to=State.STOPPED, stage="stopped", percent=100)
    return State.STOPPED


@shared_task(name="deployments.tasks.reconcile_deployments")
def reconcile_deployments() -> dict[str, int]:
    """Beat: a ready deployment whose runtime is gone is restarted (local) or marked failed (others); a local
    runtime no deployment owns any more is stopped."""
    counts = {"checked": 0, "restarted": 0, "failed": 0, "orphans_stopped": stop_orphaned_runtimes()}
    for deployment in Deployment.objects.select_related("model", "organization").filter(state=State.READY):
        counts["checked"] += 1
        try:
            status = provider_for(deployment.provider).status(deployment)
        except ProviderError as exc:
            status = str(exc)
        if status == "running":
            continue
        log.warning("deployment.runtime_lost", deployment=deployment.public_id, status=status[:80])
        if deployment.provider == "local":
            deployment_transition(deployment_id=deployment.pk, to=State.FAILED, stage="runtime lost; restarting",
                                  reason=f"runtime {status}")  # fmt: skip
            enqueue_on_commit(provision_deployment, deployment.pk, failed=lambda: None)
            counts["restarted"] += 1
        else:
            deployment_transition(deployment_id=deployment.pk, to=State.FAILED, stage="runtime lost",
                                  reason=f"runtime {status}")  # fmt: skip
            counts["failed"] += 1
    return counts


def stop_orphaned_runtimes() -> int:
    """Stop the llama.cpp servers this control plane started whose deployment is gone or stopped, or which a
    ready deployment no longer points at (replaced by a restart). Runtimes of deployments being provisioned are
    left alone: their pid may not be saved yet."""
    stopped = 0
    for runtime in owned_runtimes():
        deployment = Deployment.objects.filter(public_id=runtime.deployment_public_id).first()
        recorded = deployment.provider_state.get("pid") if deployment is not None else None
        orphaned = (
            deployment is None
            or deployment.state == State.STOPPED
            or (deployment.state == State.READY and recorded != runtime.pid)
        )
        if orphaned:
            log.warning("deployment.runtime_orphaned", deployment=runtime.deployment_public_id, pid=runtime.pid)
            stop_runtime(runtime.pid, runtime.port)
            stopped += 1
    return stopped


@shared_task(name="deployments.tasks.purge_reidentification_maps")
def purge_reidentification_maps() -> int:
    """Beat, every minute: delete the re-identification maps whose time is up."""
    return purge_expired()
