"""Console pages for access control: security settings, roles and assignments, API keys."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from accessctl.api_keys import ApiKeyError, api_key_issue, api_key_revoke
from accessctl.console import console_actor, member_actor
from accessctl.forms import SETTINGS_ERROR_FIELDS, ApiKeyForm, AssignForm, RoleForm, SecuritySettingsForm
from accessctl.models import ApiKey, Role, RoleAssignment, User
from accessctl.policy import GrantDenied, is_allowed, organization_resource
from accessctl.security import AccessChanges, SettingsError, retention_offer, security_settings_update, settings_for
from accessctl.selectors import member_list
from accessctl.services import LastAdminError, RoleError, role_assign, role_create, role_unassign
from accessctl.tenancy import tenant_get
from core.confirm import confirmation
from core.forms import show_field_error


@login_required
@never_cache
def security_settings_page(request: HttpRequest) -> HttpResponse:
    actor = console_actor(request, "settings:manage")
    current = settings_for(actor.organization)
    initial = {
        "require_mfa": current.require_mfa,
        "session_timeout_minutes": current.session_timeout_minutes,
        "session_max_hours": current.session_max_hours,
        "concurrent_sessions_limit": current.concurrent_sessions_limit,
        "ip_restrictions": "\n".join(current.ip_restrictions),
        "hsts_enabled": current.hsts_enabled,
        "hipaa_mode": current.hipaa_mode,
        "phi_detection": current.phi_detection,
    }
    form = SecuritySettingsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        turning_on = data["hipaa_mode"] and not current.hipaa_mode
        if turning_on:  # switching HIPAA mode on ticks what it forces
            data["require_mfa"] = data["phi_detection"] = True
        try:
            security_settings_update(
                actor=actor,
                changes=AccessChanges(
                    require_mfa=data["require_mfa"],
                    session_timeout_minutes=data["session_timeout_minutes"],
                    session_max_hours=data["session_max_hours"],
                    concurrent_sessions_limit=data["concurrent_sessions_limit"],
                    ip_restrictions=form.networks(),
                    hsts_enabled=data["hsts_enabled"],
                    hipaa=data["hipaa_mode"],
                    phi_detection=data["phi_detection"],
                ),
            )
        except SettingsError as exc:
            show_field_error(form, exc, SETTINGS_ERROR_FIELDS)
        else:
            messages.success(request, "Security settings saved.")
            offer = retention_offer(actor.organization)
            if offer is not None and turning_on:  # turning HIPAA mode on offers to raise retention
                messages.warning(
                    request,
                    f"Audit logs are kept {offer['current']} days. {offer['reason']} Raise the retention to "
                    f"{offer['offered']} days on the Audit log page.",
                )
            return redirect("security-settings")
    return render(request, "accessctl/security_settings.html", {"form": form, "client_ip": actor.ip})


@login_required
@never_cache
def roles_page(request: HttpRequest) -> HttpResponse:
    actor = console_actor(request, "role:manage")
    members = member_list(actor=actor)
    roles = list(Role.objects.filter(organization=actor.organization))
    user_choices = [(m.user.public_id, m.user.username) for m in members]
    role_form = RoleForm(request.POST if request.POST.get("form") == "role" else None)
    assign_form = AssignForm(
        request.POST if request.POST.get("form") == "assign" else None,
        users=user_choices,
        roles=[role.name for role in roles],
    )
    if role_form.is_bound and role_form.is_valid():
        try:
            role_create(actor=actor, **role_form.cleaned_data)
        except RoleError as exc:
            show_field_error(role_form, exc)
        except GrantDenied as exc:
            role_form.add_error("permissions", exc.message)
        else:
            messages.success(request, f"Role {role_form.cleaned_data['name']} created.")
            return redirect("roles")
    if assign_form.is_bound and assign_form.is_valid():
        user = User.objects.get(public_id=assign_form.cleaned_data["user_id"])
        role = next(r for r in roles if r.name == assign_form.cleaned_data["role_name"])
        try:
            role_assign(actor=actor, organization=actor.organization, user=user, role=role)
        except GrantDenied as exc:
            assign_form.add_error(None, exc.message)
        else:
            messages.success(request, f"{user.username} now holds {role.name}.")
            return redirect("roles")
    assignments = RoleAssignment.objects.filter(organization=actor.organization).select_related("user", "role")
    context = {"roles": roles, "assignments": assignments, "role_form": role_form, "assign_form": assign_form}
    return render(request, "accessctl/roles.html", context)


@login_required
@require_POST
def role_unassign_view(request: HttpRequest, user_id: str, role_name: str) -> HttpResponse:
    actor = console_actor(request, "role:manage")
    user = User.objects.filter(public_id=user_id, memberships__organization=actor.organization).first()
    role = Role.objects.filter(organization=actor.organization, name=role_name).first()
    if user is None or role is None:
        raise Http404("no such assignment")
    confirm = confirmation(
        request,
        action="Remove a role",
        target=f"{role.name} from {user.username}",
        consequences=f"{user.username} loses every permission the {role.name} role gives, at their next request.",
        button=f"Remove {role.name} from {user.username}",
        back=reverse("roles"),
    )
    if confirm is not None:
        return confirm
    try:
        role_unassign(actor=actor, user=user, role=role)
    except GrantDenied as exc:
        messages.error(request, exc.message)
    except LastAdminError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"{role.name} removed from {user.username}.")
    return redirect("roles")


@login_required
@never_cache
def api_keys_page(request: HttpRequest) -> HttpResponse:
    actor = member_actor(request)
    form = ApiKeyForm(request.POST or None)
    token = None
    if request.method == "POST" and form.is_valid():
        assert actor.user is not None  # noqa: S101 - console sessions always have a user
        try:
            _, token = api_key_issue(
                actor=actor,
                organization=actor.organization,
                user=actor.user,
                name=form.cleaned_data["name"],
                expires_at=form.cleaned_data["expires_at"],
            )
        except ApiKeyError as exc:
            show_field_error(form, exc)
        else:
            form = ApiKeyForm()
    keys = ApiKey.objects.filter(organization=actor.organization).select_related("user", "role")
    if not is_allowed(actor, "role:manage", organization_resource(actor)):
        keys = keys.filter(user=actor.user)
    return render(request, "accessctl/api_keys.html", {"form": form, "keys": keys, "token": token})


@login_required
@require_POST
def api_key_revoke_view(request: HttpRequest, key_id: str) -> HttpResponse:
    actor = member_actor(request)
    key = tenant_get(ApiKey.objects.all(), actor, key_id)
    if key.user != actor.user:
        console_actor(request, "role:manage")
    confirm = confirmation(
        request,
        action="Revoke an API key",
        target=f"{key.name} ({key.prefix}…)",
        consequences="Every integration using this key is refused from its next request. This cannot be undone: "
        "a new key would have a new secret.",
        button=f"Revoke {key.name}",
        back=reverse("api-keys-page"),
    )
    if confirm is not None:
        return confirm
    api_key_revoke(actor=actor, key=key)
    messages.success(request, f"Key {key.name} revoked.")
    return redirect("api-keys-page")
