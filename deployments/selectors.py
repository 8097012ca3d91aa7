"""Reading deployments: only the caller's organisation, only what their roles' patterns allow."""

from __future__ import annotations

from typing import TYPE_CHECKING

from accessctl.policy import is_allowed
from accessctl.tenancy import tenant_get
from deployments.models import Deployment

if TYPE_CHECKING:
    from accessctl.actor import Actor


def deployment_list(*, actor: Actor) -> list[Deployment]:
    deployments = Deployment.objects.filter(organization=actor.organization).select_related("model")
    return [d for d in deployments if is_allowed(actor, "deployment:read", d.resource)]


def access_deployment(*, actor: Actor, deployment_id: str, permission: str) -> Deployment:
    """Fetch and authorise in one step: no view can read a deployment without the check."""
    return tenant_get(Deployment.objects.select_related("model"), actor, deployment_id, permission)
