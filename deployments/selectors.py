"""Reading deployments: only the caller's organisation, only what their roles' patterns allow."""

from __future__ import annotations

from typing import TYPE_CHECKING

from accessctl.policy import authorize, is_allowed
from core.errors import NotFound
from deployments.models import Deployment

if TYPE_CHECKING:
    from accessctl.actor import Actor


class DeploymentNotFound(NotFound):
    """No such deployment in the caller's organisation (also what another organisation's id looks like)."""

    problem_detail = "No such deployment."


def deployment_list(*, actor: Actor) -> list[Deployment]:
    deployments = Deployment.objects.filter(organization=actor.organization).select_related("model")
    return [d for d in deployments if is_allowed(actor, "deployment:read", d.resource)]


def access_deployment(*, actor: Actor, deployment_id: str, permission: str) -> Deployment:
    """Fetch and authorise in one step: no view can read a deployment without the check."""
    deployment = (
        Deployment.objects.select_related("model")
        .filter(organization=actor.organization, public_id=deployment_id)
        .first()
    )
    if deployment is None:
        raise DeploymentNotFound(deployment_id)
    deployment.organization = actor.organization  # the same row: reuse the caller's instance and what it caches
    authorize(actor, permission, deployment.resource)
    return deployment
