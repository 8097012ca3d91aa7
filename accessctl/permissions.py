"""DRF permission that resolves the Actor once per request; no organisation means no access."""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from accessctl.actor import Actor, NoOrganization, actor_for_request
from accessctl.extensions import record
from accessctl.policy import authorize
from accessctl.security import request_settings_for
from core.network import ip_allowed


class IsOrganizationMember(BasePermission):
    message = "Your account is not an active member of any organisation."

    def has_permission(self, request: Request, view: Any) -> bool:
        if not request.user or not request.user.is_authenticated:
            return False
        try:
            actor = actor_for_request(request._request)
        except NoOrganization:
            return False
        if actor.api_key is not None and not _api_key_address_allowed(actor):
            self.message = "Your address is not in the organisation's allowed networks."
            return False
        request.actor = actor  # type: ignore[attr-defined]
        return True


def _api_key_address_allowed(actor: Actor) -> bool:
    """Console sessions are checked by AccessPolicyMiddleware; API keys authenticate later, so here."""
    if ip_allowed(actor.ip, request_settings_for(actor.organization).ip_restrictions):
        return True
    record(
        actor=actor,
        event_type="access.denied",
        outcome="denied",
        resource=f"organization/{actor.organization.slug}",
        details={"reason": "ip_restriction"},
    )
    return False


def request_actor(request: Request) -> Actor:
    actor: Actor = request.actor  # type: ignore[attr-defined]
    return actor


def require(actor: Actor, permission: str, resource: str) -> None:
    """`policy.authorize` for API views: a refusal is a 403 problem naming the permission (mapped centrally)."""
    authorize(actor, permission, resource)
