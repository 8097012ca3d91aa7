"""Provisioning workers (queue `provisioning`): take ids, report progress, idempotent, retried."""

from __future__ import annotations

from celery import shared_task

from deployments.models import Deployment, State
from deployments.providers import ProviderError, provider_for
from deployments.services import deployment_transition


@shared_task(name="deployments.tasks.provision_deployment", acks_late=True, autoretry_for=(ConnectionError,),
             retry_backoff=True, max_retries=5)  # fmt: skip
def provision_deployment(deployment_id: int) -> str:
    deployment = Deployment.objects.select_related("model").filter(pk=deployment_id).first()
    if deployment is None:
        return "gone"
    if deployment.state not in {State.PENDING, State.FAILED, State.PROVISIONING}:
        return deployment.state  # already done, or stopped meanwhile
    if deployment.state != State.PROVISIONING:
        deployment_transition(deployment_id=deployment_id, to=State.PROVISIONING, stage="starting", percent=5)

    def progress(percent: int, stage: str) -> None:
        deployment_transition(deployment_id=deployment_id, to=State.PROVISIONING, stage=stage, percent=percent)

    try:
        provider_state = provider_for(deployment.provider).provision(deployment, progress)
    except ProviderError as exc:
        deployment_transition(deployment_id=deployment_id, to=State.FAILED, stage="failed", reason=str(exc))
        return State.FAILED
    deployment_transition(deployment_id=deployment_id, to=State.READY, stage="ready", percent=100, **provider_state)
    return State.READY


@shared_task(name="deployments.tasks.deprovision_deployment", acks_late=True, autoretry_for=(ConnectionError,),
             retry_backoff=True, max_retries=5)  # fmt: skip
def deprovision_deployment(deployment_id: int) -> str:
    deployment = Deployment.objects.select_related("model").filter(pk=deployment_id).first()
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
