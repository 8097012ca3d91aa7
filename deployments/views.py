"""Console pages for deployments: list, create, detail with live progress and stop (the prompt playground on the
detail page is in `playground.py`)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accessctl.actor import Actor
from accessctl.console import member_actor
from accessctl.models import User
from accessctl.policy import authorize, is_allowed, organization_resource
from accessctl.selectors import roles_for_actor
from audit.selectors import AuditFilters, audit_event_list
from core.confirm import confirmation
from core.errors import FieldError
from core.forms import show_field_error
from deployments import associates
from deployments.forms import FIELD_FOR_ERROR, DeploymentForm, PlaygroundForm
from deployments.models import Deployment, State
from deployments.selectors import access_deployment, deployment_list
from deployments.services import deployment_create, deployment_stop

# While a deployment is in one of these states its detail page polls for progress.
MOVING = {State.PENDING, State.PROVISIONING, State.STOPPING, State.UPDATING}
RECENT_INFERENCES = 20


def may_somewhere(actor: Actor, permission: str) -> bool:
    """Whether a role grants `permission` organisation-wide or on some deployments (`deployment/hipaa-*`)."""
    if is_allowed(actor, permission, organization_resource(actor)):
        return True
    return any(
        permission in role.permissions and role.resource_pattern.startswith("deployment/")
        for role in roles_for_actor(actor)
    )


def _actor(request: HttpRequest, permission: str) -> Actor:
    actor = member_actor(request)
    if not may_somewhere(actor, permission):
        raise PermissionDenied(permission)
    return actor


def _access(actor: Actor, deployment_id: str, permission: str) -> Deployment:
    return access_deployment(actor=actor, deployment_id=deployment_id, permission=permission)


def _recent_inferences(actor: Actor, deployment: Deployment) -> list[dict[str, Any]]:
    """The latest `model.inference` audit events of the deployment: metadata only (no prompt is ever there)."""
    filters = AuditFilters(deployment_id=deployment.public_id, event_types=["model.inference"])
    events = list(audit_event_list(actor=actor, filters=filters).order_by("-id")[:RECENT_INFERENCES])
    user_ids = {event.user_id for event in events if event.user_id}
    names = dict(User.objects.filter(public_id__in=user_ids).values_list("public_id", "username"))
    rows = []
    for event in events:
        details = event.details if isinstance(event.details, dict) else {}
        rows.append(
            {
                "timestamp": event.timestamp,
                "user": names.get(event.user_id) or event.actor_id or "—",
                "outcome": event.outcome,
                "refused": details.get("refused", ""),
                "mode": details.get("mode", ""),
                "prompt_tokens": details.get("prompt_tokens"),
                "completion_tokens": details.get("completion_tokens"),
                "latency_ms": details.get("latency_ms"),
            }
        )
    return rows


def _settings_rows(deployment: Deployment) -> list[tuple[str, str, Any]]:
    """(key, label, value) of the security settings, in a stable order."""
    return [
        (key, key.replace("_", " ").capitalize(), value) for key, value in sorted(deployment.security_settings.items())
    ]


def detail_context(actor: Actor, deployment: Deployment, **extra: Any) -> dict[str, Any]:
    context: dict[str, Any] = {
        "deployment": deployment,
        "security_rows": _settings_rows(deployment),
        "business_associate": associates.describe(associates.business_associate(deployment)),
        "polling": deployment.state in MOVING,
        "can_stop": deployment.state not in {State.STOPPING, State.STOPPED}
        and is_allowed(actor, "deployment:delete", deployment.resource),
        # the playground only for a deployment that answers (a stopped or failed one would only refuse)
        "can_generate": deployment.state == State.READY and is_allowed(actor, "text:generate", deployment.resource),
        "inferences": _recent_inferences(actor, deployment),
        "playground_form": PlaygroundForm.for_deployment(deployment),
    }
    context.update(extra)
    return context


def _list_context(actor: Actor) -> dict[str, Any]:
    deployments = deployment_list(actor=actor)
    return {"deployments": deployments, "polling": any(d.state in MOVING for d in deployments)}


@login_required
@never_cache
@require_GET
def deployments_page(request: HttpRequest) -> HttpResponse:
    actor = _actor(request, "deployment:read")
    context = {**_list_context(actor), "can_create": may_somewhere(actor, "deployment:create")}
    return render(request, "deployments/list.html", context)


@login_required
@never_cache
@require_GET
def deployments_table(request: HttpRequest) -> HttpResponse:
    """htmx partial: the list, polling only while a deployment is still moving."""
    actor = _actor(request, "deployment:read")
    return render(request, "deployments/_table.html", _list_context(actor))


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def deployment_new(request: HttpRequest) -> HttpResponse:
    actor = _actor(request, "deployment:create")
    form = DeploymentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            deployment = deployment_create(actor=actor, spec=form.spec())
        except FieldError as exc:
            show_field_error(form, exc, FIELD_FOR_ERROR)
        else:
            messages.success(request, f"Deployment {deployment.name} created; it is being provisioned.")
            return redirect("deployment-detail", deployment_id=deployment.public_id)
    return render(request, "deployments/new.html", {"form": form})


@login_required
@never_cache
@require_GET
def deployment_detail(request: HttpRequest, deployment_id: str) -> HttpResponse:
    actor = member_actor(request)
    deployment = _access(actor, deployment_id, "deployment:read")
    return render(request, "deployments/detail.html", detail_context(actor, deployment))


@login_required
@never_cache
@require_GET
def deployment_progress(request: HttpRequest, deployment_id: str) -> HttpResponse:
    """htmx partial: state and progress; it stops polling itself once the deployment has settled."""
    actor = member_actor(request)
    deployment = _access(actor, deployment_id, "deployment:read")
    response = render(
        request, "deployments/_progress.html", {"deployment": deployment, "polling": deployment.state in MOVING}
    )
    if deployment.state == State.READY and request.headers.get("X-Poll") == "1":
        # it became ready while the page watched: reload it so the playground appears
        response["HX-Refresh"] = "true"
    return response


@login_required
@never_cache
@require_GET
def deployment_inferences(request: HttpRequest, deployment_id: str) -> HttpResponse:
    actor = member_actor(request)
    deployment = _access(actor, deployment_id, "deployment:read")
    context = {"deployment": deployment, "inferences": _recent_inferences(actor, deployment)}
    return render(request, "deployments/_inferences.html", context)


@login_required
@require_POST
def deployment_stop_view(request: HttpRequest, deployment_id: str) -> HttpResponse:
    actor = member_actor(request)
    deployment = _access(actor, deployment_id, "deployment:read")
    authorize(actor, "deployment:delete", deployment.resource)  # a refusal (audited) before the question
    confirm = confirmation(
        request,
        action="Stop a deployment",
        target=deployment.name,
        consequences="The runtime is stopped and its resources released; prompts to it are refused from now on. "
        "A stopped deployment is not restarted: create a new one.",
        button=f"Stop {deployment.name}",
        back=reverse("deployment-detail", args=[deployment.public_id]),
    )
    if confirm is not None:
        return confirm
    deployment_stop(actor=actor, deployment=deployment)
    messages.success(request, f"Stopping {deployment.name}.")
    return redirect("deployment-detail", deployment_id=deployment.public_id)
