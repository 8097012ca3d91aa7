"""Console helpers: resolve the actor and check a permission in one call (403 page on refusal)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from accessctl.actor import Actor, NoOrganization, actor_for_request
from accessctl.policy import authorize, organization_resource


def member_actor(request: HttpRequest) -> Actor:
    """The signed-in member, for pages every member may open (their own API keys, MFA)."""
    try:
        return actor_for_request(request)
    except NoOrganization:
        raise PermissionDenied("no organisation") from None


def console_actor(request: HttpRequest, permission: str, resource: str | None = None) -> Actor:
    actor = member_actor(request)
    authorize(actor, permission, resource or organization_resource(actor))  # a refusal is the console's 403
    return actor
