"""Reading deployments: only the caller's organisation, only what their roles' patterns allow."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.db.models import QuerySet

from accessctl.policy import is_allowed
from accessctl.tenancy import tenant_get
from deployments.models import Deployment

if TYPE_CHECKING:
    from accessctl.actor import Actor


def deployment_rows(*, actor: Actor) -> QuerySet[Deployment]:
    """The organisation's deployments, before the per-deployment policy check (`readable`)."""
    return Deployment.objects.filter(organization=actor.organization).select_related("model")


def readable(actor: Actor, deployments: Iterable[Deployment]) -> list[Deployment]:
    """Those the actor's roles (resource patterns) let them read: a check per row, so after any paging."""
    return [d for d in deployments if is_allowed(actor, "deployment:read", d.resource)]


def deployment_list(*, actor: Actor) -> list[Deployment]:
    return readable(actor, deployment_rows(actor=actor))


def access_deployment(*, actor: Actor, deployment_id: str, permission: str) -> Deployment:
    """Fetch and authorise in one step: no view can read a deployment without the check."""
    return tenant_get(Deployment.objects.select_related("model"), actor, deployment_id, permission)
