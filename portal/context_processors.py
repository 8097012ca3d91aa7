"""Navigation for the console shell: only sections that exist and that the user may open."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse

from accessctl.actor import NoOrganization, actor_for_request
from accessctl.policy import is_allowed, organization_resource
from deployments.views import may_somewhere
from emergency.models import Notification


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    items: list[dict[str, Any]] = [{"label": "Dashboard", "url": reverse("dashboard")}]
    try:
        actor = actor_for_request(request)
    except NoOrganization:
        actor = None
    if actor is not None:
        resource = organization_resource(actor)
        if may_somewhere(actor, "deployment:read"):  # also a role limited to some deployments (a pattern)
            items.append({"label": "Deployments", "url": reverse("deployments")})
        if is_allowed(actor, "baa:read", "checklist/*"):
            items.append({"label": "Compliance", "url": reverse("compliance")})
        for permission, label, name in (
            ("audit:read", "Audit log", "audit-log"),
            ("phi_scan:run", "PHI scans", "phi-scans"),
            ("report:read", "Reports", "reports"),
            ("disclosure:read", "Disclosures", "disclosures"),
            ("incident:manage", "Incidents", "incidents"),
            ("user:read", "Users", "users"),
            ("role:manage", "Roles", "roles"),
            ("settings:manage", "Security", "security-settings"),
            ("settings:manage", "Keys", "encryption-keys"),
        ):
            if is_allowed(actor, permission, resource):
                items.append({"label": label, "url": reverse(name)})
        if is_allowed(actor, "emergency:request", "emergency-access/*") or is_allowed(
            actor, "emergency:approve", "emergency-access/*"
        ):
            items.append({"label": "Emergency access", "url": reverse("emergency")})
        items.append({"label": "API keys", "url": reverse("api-keys-page")})
    items.append({"label": "API docs", "url": reverse("api-docs")})
    if user.is_superuser and settings.PAITIENT_ADMIN_ENABLED:
        items.append({"label": "Admin", "url": reverse("admin:index")})
    current = request.path
    for item in items:
        item["active"] = current == item["url"] or (item["url"] != "/" and current.startswith(item["url"]))
    return {"nav_items": items}


def notifications(request: HttpRequest) -> dict[str, Any]:
    """The signed-in user's unread in-console notices (emergency access), for the header badge."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"unread_notifications": 0}

    return {"unread_notifications": Notification.objects.filter(user=user, read_at__isnull=True).count()}
