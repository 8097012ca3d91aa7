"""Navigation for the console shell: only sections that exist and that the user may open, in the sidebar's
groups (Overview · Models · Compliance · Access · Audit · Help). `nav_items` is the same links in one list."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse

from accessctl.actor import Actor, NoOrganization, actor_for_request
from accessctl.policy import is_allowed, organization_resource
from deployments.views import may_somewhere
from emergency.models import Notification

Item = dict[str, Any]


def _groups(actor: Actor | None) -> list[tuple[str, list[Item]]]:
    models: list[Item] = []
    compliance: list[Item] = []
    access: list[Item] = []
    audit: list[Item] = []
    if actor is not None:
        resource = organization_resource(actor)

        def allowed(permission: str, target: str = resource) -> bool:
            return is_allowed(actor, permission, target)

        if may_somewhere(actor, "deployment:read"):  # also a role limited to some deployments (a pattern)
            models.append({"label": "Deployments", "url": reverse("deployments")})
        if may_somewhere(actor, "text:generate"):
            models.append({"label": "Playground", "url": reverse("playground")})
        if allowed("phi_scan:run"):
            models.append({"label": "PHI scans", "url": reverse("phi-scans")})
        if allowed("baa:read", "checklist/*"):
            compliance.append({"label": "Compliance", "url": reverse("compliance")})
        for permission, label, name in (
            ("report:read", "Reports", "reports"),
            ("disclosure:read", "Disclosures", "disclosures"),
            ("incident:manage", "Incidents", "incidents"),
        ):
            if allowed(permission):
                compliance.append({"label": label, "url": reverse(name)})
        for permission, label, name in (
            ("user:read", "Users", "users"),
            ("role:manage", "Roles", "roles"),
            ("access:review", "Access reviews", "access-reviews"),
            ("settings:manage", "Security", "security-settings"),
            ("settings:manage", "Keys", "encryption-keys"),
            ("settings:manage", "Single sign-on", "sso-configuration"),
            ("user:manage", "SCIM provisioning", "scim-tokens"),
        ):
            if allowed(permission):
                access.append({"label": label, "url": reverse(name)})
        if allowed("emergency:request", "emergency-access/*") or allowed("emergency:approve", "emergency-access/*"):
            access.append({"label": "Emergency access", "url": reverse("emergency")})
        access.append({"label": "API keys", "url": reverse("api-keys-page")})
        if allowed("audit:read"):
            audit.append({"label": "Audit log", "url": reverse("audit-log")})
            audit.append({"label": "SIEM export", "url": reverse("siem-destinations")})
    return [
        ("Overview", [{"label": "Dashboard", "url": reverse("dashboard")}]),
        ("Models", models),
        ("Compliance", compliance),
        ("Access", access),
        ("Audit", audit),
    ]


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": [], "nav_groups": []}
    try:
        actor: Actor | None = actor_for_request(request)
    except NoOrganization:
        actor = None
    groups = _groups(actor)
    help_items: list[Item] = [{"label": "API docs", "url": reverse("api-docs")}]
    if user.is_superuser and settings.PAITIENT_ADMIN_ENABLED:
        help_items.append({"label": "Admin", "url": reverse("admin:index")})
    groups.append(("Help", help_items))
    current = request.path
    items = [item for _label, members in groups for item in members]
    for item in items:
        item["active"] = current == item["url"] or (item["url"] != "/" and current.startswith(item["url"]))
    return {
        "nav_items": items,
        "nav_groups": [{"label": label, "items": members} for label, members in groups if members],
    }


def notifications(request: HttpRequest) -> dict[str, Any]:
    """The signed-in user's unread in-console notices (emergency access), for the header badge."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"unread_notifications": 0}

    return {"unread_notifications": Notification.objects.filter(user=user, read_at__isnull=True).count()}
