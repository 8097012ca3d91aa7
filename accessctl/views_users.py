"""Console pages for the organisation's people: the users list with filters, a user's detail page, inviting,
resending and revoking invitations, deactivating (with the checklist of what was ended), reactivating and
sending a password-reset link."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from accessctl.actor import Actor
from accessctl.console import console_actor
from accessctl.forms import DirectoryFilterForm, InviteForm
from accessctl.invitations import InvitationError, invitation_create, invitation_resend, invitation_revoke
from accessctl.models import ApiKey, Invitation, Membership, Role, UserSession
from accessctl.offboarding import password_reset_send, user_deactivate, user_reactivate
from accessctl.policy import GrantDenied, is_allowed, organization_resource
from accessctl.security import settings_for
from accessctl.selectors import DirectoryFilters, member_directory, member_get, mfa_status_of
from accessctl.tenancy import tenant_get
from core.confirm import confirmation
from core.errors import StateConflict
from core.forms import show_field_error

PAGE_SIZE = 50


def _rows(memberships: list[Membership], mfa_required: bool) -> list[dict[str, object]]:
    return [
        {
            "membership": m,
            "user": m.user,
            "roles": sorted(a.role.name for a in getattr(m.user, "org_assignments", [])),
            "mfa": mfa_status_of(m, mfa_required),
        }
        for m in memberships
    ]


@login_required
@never_cache
def users_page(request: HttpRequest) -> HttpResponse:
    actor = console_actor(request, "user:read")
    roles = list(Role.objects.filter(organization=actor.organization).values_list("name", flat=True))
    form = DirectoryFilterForm(request.GET or None, roles=roles)
    filters = DirectoryFilters()
    if form.is_bound and form.is_valid():
        filters = DirectoryFilters(**form.cleaned_data)
    page = Paginator(member_directory(actor=actor, filters=filters), PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "rows": _rows(list(page.object_list), settings_for(actor.organization).require_mfa),
        "query": query.urlencode(),
        "can_manage": is_allowed(actor, "user:manage", organization_resource(actor)),
    }
    return render(request, "accessctl/users.html", context)


@login_required
@never_cache
def user_detail_page(request: HttpRequest, user_id: str) -> HttpResponse:
    actor = console_actor(request, "user:read")
    membership = member_get(actor=actor, user_id=user_id)
    if membership is None:
        raise Http404("no such user")
    user = membership.user
    resource = organization_resource(actor)
    context = {
        "membership": membership,
        "member": user,
        "row": _rows([membership], settings_for(actor.organization).require_mfa)[0],
        "sessions": UserSession.objects.filter(organization=actor.organization, user=user),
        "keys": ApiKey.objects.filter(organization=actor.organization, user=user).select_related("role"),
        "invitation": Invitation.objects.filter(organization=actor.organization, user=user).first(),
        "can_manage": is_allowed(actor, "user:manage", resource),
        "can_read_audit": is_allowed(actor, "audit:read", resource),
        "is_self": actor.user is not None and actor.user.pk == user.pk,
    }
    return render(request, "accessctl/user_detail.html", context)


@login_required
@never_cache
def invite_page(request: HttpRequest) -> HttpResponse:
    actor = console_actor(request, "user:manage")
    roles = list(Role.objects.filter(organization=actor.organization).values_list("name", flat=True))
    form = InviteForm(request.POST or None, roles=roles)
    if request.method == "POST" and form.is_valid():
        try:
            invitation = invitation_create(actor=actor, **form.cleaned_data)
        except InvitationError as exc:
            show_field_error(form, exc)
        except GrantDenied as exc:
            form.add_error("roles", exc.message)
        else:
            messages.success(request, f"Invitation sent to {invitation.email}; the link is valid for 72 hours.")
            return redirect("user-detail", invitation.user.public_id)
    return render(request, "accessctl/invite.html", {"form": form})


def _managed_member(request: HttpRequest, user_id: str) -> tuple[Actor, Membership]:
    """The actor (who must hold `user:manage`) and the member of their organisation a console action is about."""
    actor = console_actor(request, "user:manage")
    membership = member_get(actor=actor, user_id=user_id)
    if membership is None:
        raise Http404("no such user")
    return actor, membership


def _refusal(exc: StateConflict | GrantDenied) -> str:
    return exc.message if isinstance(exc, GrantDenied) else str(exc)


@login_required
@require_POST
def user_deactivate_view(request: HttpRequest, user_id: str) -> HttpResponse:
    actor, membership = _managed_member(request, user_id)
    confirm = confirmation(
        request,
        action="Deactivate a member",
        target=f"{membership.user.username} ({membership.user.email or membership.user.public_id})",
        consequences="Their sessions end and their API keys, invitation and pending emergency requests are revoked "
        "at once. Nothing is deleted: the audit log keeps their identity, and they can be reactivated (their old "
        "keys stay revoked).",
        button=f"Deactivate {membership.user.username}",
        back=reverse("user-detail", args=[user_id]),
    )
    if confirm is not None:
        return confirm
    try:
        offboarded = user_deactivate(actor=actor, user=membership.user)
    except (StateConflict, GrantDenied) as exc:
        messages.error(request, _refusal(exc))
        return redirect("user-detail", user_id)
    return render(request, "accessctl/offboarded.html", {"member": membership.user, "ended": offboarded.ended})


@login_required
@require_POST
def user_reactivate_view(request: HttpRequest, user_id: str) -> HttpResponse:
    actor, membership = _managed_member(request, user_id)
    try:
        user_reactivate(actor=actor, user=membership.user)
    except (StateConflict, GrantDenied) as exc:
        messages.error(request, _refusal(exc))
    else:
        messages.success(request, f"{membership.user.username} is active again. Their old API keys stay revoked.")
    return redirect("user-detail", user_id)


@login_required
@require_POST
def user_password_reset_view(request: HttpRequest, user_id: str) -> HttpResponse:
    actor, membership = _managed_member(request, user_id)
    try:
        password_reset_send(actor=actor, user=membership.user)
    except (StateConflict, GrantDenied) as exc:
        messages.error(request, _refusal(exc))
    else:
        messages.success(request, f"A password-reset link was sent to {membership.user.email}.")
    return redirect("user-detail", user_id)


@login_required
@require_POST
def invitation_action_view(request: HttpRequest, invitation_id: str, action: str) -> HttpResponse:
    if action not in ("resend", "revoke"):
        raise Http404("no such action")
    actor = console_actor(request, "user:manage")
    invitation = tenant_get(Invitation.objects.select_related("user"), actor, invitation_id)
    try:
        if action == "resend":
            invitation_resend(actor=actor, invitation=invitation)
            messages.success(request, f"A new link was sent to {invitation.email}; the previous one no longer works.")
        else:
            invitation_revoke(actor=actor, invitation=invitation)
            messages.success(request, f"The invitation of {invitation.email} was revoked.")
    except StateConflict as exc:
        messages.error(request, str(exc))
    return redirect("user-detail", invitation.user.public_id)
