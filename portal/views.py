"""Console shell views (dashboard) and the health endpoints."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from accessctl.actor import NoOrganization, actor_for_request
from accessctl.policy import is_allowed, organization_resource
from accessctl.selectors import member_list
from compliance.dashboard import compliance_panel
from core.problems import problem_response
from portal.dashboard_tiles import access_reviews_tile, deployments_tile, incidents_tile
from portal.health import readiness
from portal.setup import steps_left


@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness: the process answers. No dependencies are touched."""
    return JsonResponse({"status": "ok"})


@require_GET
@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    """Readiness: database, broker and at least one worker; 503 naming what failed."""
    checks = readiness()
    failed = [check.name for check in checks if not check.ok]
    body: dict[str, object] = {"status": "ready" if not failed else "unavailable", "failed": failed}
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and user.is_staff:  # details (versions, counts) for operators
        body["checks"] = {check.name: {"ok": check.ok, "detail": check.detail} for check in checks}
    return JsonResponse(body, status=503 if failed else 200)


@login_required
@never_cache
def dashboard(request: HttpRequest) -> HttpResponse:
    try:
        actor = actor_for_request(request)
    except NoOrganization:
        return render(request, "portal/no_organization.html", status=403)
    members = member_list(actor=actor)
    context = {
        "organization": actor.organization,
        "member_count": members.count(),
        "recent_members": members.order_by("-created_at")[:5],
    }
    if is_allowed(actor, "baa:read", "checklist/*"):
        context["compliance"] = compliance_panel(actor=actor)
    if is_allowed(actor, "settings:manage", organization_resource(actor)):
        context["setup_left"] = steps_left(actor)
    context["incidents"] = incidents_tile(actor)
    context["deployments"] = deployments_tile(actor)
    context["access_reviews"] = access_reviews_tile(actor)
    return render(request, "portal/dashboard.html", context)


@login_required
@never_cache
@require_GET
def dashboard_health(request: HttpRequest) -> HttpResponse:
    """htmx partial: live platform status on the dashboard."""
    return render(request, "portal/_health.html", {"checks": readiness()})


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if request.path.startswith("/api/"):
        return problem_response(request, 404, "Not found.")
    return render(request, "404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    if request.path.startswith("/api/"):
        return problem_response(request, 500, "The server could not complete the request.")
    return render(request, "500.html", status=500)
