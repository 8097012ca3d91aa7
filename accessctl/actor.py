"""The Actor: who is acting, for which organisation, from where; every service and selector takes one."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.http import HttpRequest

from accessctl.models import ApiKey, Organization, User
from accessctl.selectors import active_membership_for_user
from core.middleware import request_id_of
from core.network import client_ip


class NoOrganization(Exception):
    """The user belongs to no active organisation, so cannot act on tenant data."""


@dataclass(frozen=True)
class Actor:
    organization: Organization
    user: User | None
    ip: str | None = None
    user_agent: str = ""
    request_id: str = ""
    api_key: ApiKey | None = None
    # Emergency grants the policy used for this actor (set by `policy.is_allowed`): every audit event this
    # actor writes afterwards is tagged `break_glass` with the grant's id.
    break_glass: list[str] = field(default_factory=list, compare=False, repr=False)

    @property
    def api_key_id(self) -> str:
        return self.api_key.public_id if self.api_key is not None else ""

    @property
    def label(self) -> str:
        return self.user.public_id if self.user is not None else "system"


def actor_for_request(request: HttpRequest) -> Actor:
    return actor_for_user(getattr(request, "user", None), request)


def actor_for_user(user: object, request: HttpRequest) -> Actor:
    """The actor for `user` acting through `request` (whose `user` may not be set yet, as at sign-in)."""
    if not isinstance(user, User) or not user.is_authenticated:
        raise NoOrganization("not signed in")
    api_key = getattr(request, "api_key", None)
    if isinstance(api_key, ApiKey):
        organization = api_key.organization
    else:
        membership = active_membership_for_user(user)
        if membership is None:
            raise NoOrganization("no active organisation membership")
        organization = membership.organization
        api_key = None
    return Actor(
        organization=organization,
        user=user,
        api_key=api_key,
        ip=client_ip(request),
        user_agent=request.headers.get("User-Agent", "")[:300],
        request_id=request_id_of(request),
    )
