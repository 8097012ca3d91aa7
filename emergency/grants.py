"""What the access policy asks: does a live emergency grant allow this actor this permission on this resource?

Checked on every use against the grant's end time, so an expired grant stops working even if the beat task
that marks it expired has not run. The actor's live grants are read once per actor (i.e. per request)."""

from __future__ import annotations

from fnmatch import fnmatchcase
from typing import TYPE_CHECKING

from django.utils import timezone

from emergency.models import EmergencyAccessRequest, RequestStatus

if TYPE_CHECKING:
    from accessctl.actor import Actor

_CACHE = "_emergency_grants"


def _live_grants(actor: Actor) -> list[EmergencyAccessRequest]:
    cached: list[EmergencyAccessRequest] | None = actor.__dict__.get(_CACHE)
    if cached is None:
        cached = list(
            EmergencyAccessRequest.objects.filter(
                organization=actor.organization,
                requester=actor.user,
                status=RequestStatus.APPROVED,
                grant_expires_at__gt=timezone.now(),
            )
        )
        object.__setattr__(actor, _CACHE, cached)
    return cached


def active_grant_for(actor: Actor, permission: str, resource: str) -> str | None:
    """The id of a live grant covering `permission` on `resource`, or None."""
    now = timezone.now()
    for grant in _live_grants(actor):
        expires = grant.grant_expires_at
        live = expires is not None and expires > now
        if live and permission in grant.permissions and fnmatchcase(resource, grant.resource):
            return grant.public_id
    return None
