"""DRF permission that resolves the Actor once per request; no organisation means no access."""

from __future__ import annotations

from typing import Any

from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from accessctl.actor import Actor, NoOrganization, actor_for_request
from accessctl.policy import PolicyDenied, authorize


class IsOrganizationMember(BasePermission):
    message = "Your account is not an active member of any organisation."

    def has_permission(self, request: Request, view: Any) -> bool:
        if not request.user or not request.user.is_authenticated:
            return False
        try:
            request.actor = actor_for_request(request._request)  # type: ignore[attr-defined]
        except NoOrganization:
            return False
        return True


def request_actor(request: Request) -> Actor:
    actor: Actor = request.actor  # type: ignore[attr-defined]
    return actor


def require(actor: Actor, permission: str, resource: str) -> None:
    """`policy.authorize` for API views: a refusal becomes a 403 problem naming the permission."""
    try:
        authorize(actor, permission, resource)
    except PolicyDenied as denied:
        raise PermissionDenied(f"You lack the permission {denied.permission} on {denied.resource}.") from None
