"""Provisioning workers (queue `provisioning`): take ids, report progress, idempotent, retried; and the
beat task that reconciles what the database says with what the runtimes do."""

from __future__ import annotations

import structlog
from celery import shared_task

from deployments.models import Deployment, State
from deployments.providers import ProviderError, provider_for
from deployments.reidentify import purge_expired
from deployments.services import deployment_provisioned, deployment_transition

log = structlog.get_logger(__name__)


@shared_task(name="deployments.tasks.provision_deployment", acks_late=True, autoretry_for=(ConnectionError,),
             retry_backoff=True, max_retries=5)  # fmt: skip
def provision_deployment(deployment_id: int) -> str:
    deployment = Deployment.objects.select_related("model", "organization").filter(pk=deployment_id).first()
    if deployment is None:
        return "gone"
    if deployment.state not in {State.PENDING, State.FAILED, State.PROVISIONING}:
        return deployment.state  # already done, or stopped meanwhile
    if deployment.state != State.PROVISIONING:
        deployment_transition(deployment_id=deployment_id, to=State.PROVISIONING, stage="starting", percent=5)

    def progress(percent: int, stage: str) -> None:
        deployment_transition(deployment_id=deployment_id, to=State.PROVISIONING, stage=stage, percent=percent)

    try:
        provisioned = provider_for(deployment.provider).provision(deployment, progress)
    except ProviderError as exc:
        deployment_transition(deployment_id=deployment_id, to=State.FAILED, stage="failed", reason=str(exc))
        return State.FAILED
    deployment_provisioned(deployment_id=deployment_id, provisioned=provisioned)
    return State.READY


@shared_task(name="deployments.tasks.deprovision_deployment", acks_late=True, autoretry_for=(ConnectionError,),
             retry_backoff=True, max_retries=5)  # fmt: skip
def deprovision_deployment(deployment_id: int) -> str:
    deployment = Deployment.objects.select_related("model", "organization").filter(pk=deployment_id).first()
    if deployment is None:
        return "gone"
    if deployment.state == State.STOPPED:
        return State.STOPPED

    def progress(percent: int, stage: str) -> None:
        deployment_transition(deployment_id=deployment_id, to=State.STOPPING, stage=stage, percent=percent)

    try:
        provider_for(deployment.provider).deprovision(deployment, progress)
    except ProviderError as exc:
        deployment_transition(deployment_id=deployment_id, to=State.FAILED, stage="stop failed", reason=str(exc))
        return State.FAILED
    deployment_transition(deployment_id=deployment_id, to=State.STOPPED, stage="stopped", percent=100)
    return State.STOPPED


@shared_task(name="deployments.tasks.reconcile_deployments")
def reconcile_deployments() -> dict[str, int]:
    """Beat: a ready deployment whose runtime is gone is restarted (local) or marked failed (others)."""
    counts = {"checked": 0, "restarted": 0, "failed": 0}
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
            provision_deployment.delay(deployment.pk)
            counts["restarted"] += 1
        else:
            deployment_transition(deployment_id=deployment.pk, to=State.FAILED, stage="runtime lost",
                                  reason=f"runtime {status}")  # fmt: skip
            counts["failed"] += 1
    return counts


@shared_task(name="deployments.tasks.purge_reidentification_maps")
def purge_reidentification_maps() -> int:
    """Beat, every minute: delete the re-identification maps whose time is up."""
    return purge_expired()
