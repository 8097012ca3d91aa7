"""Console endpoints for passkeys: the JSON halves of the two WebAuthn ceremonies (called by
static/passkeys/passkeys.js), and the rename and remove forms of the account page."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from accessctl.console import member_actor
from accessctl.forms import ConfirmPasswordForm
from accessctl.models import User
from core.problems import PROBLEM_CONTENT_TYPE
from passkeys.errors import PasskeyError
from passkeys.forms import PasskeyNameForm
from passkeys.services import (
    passkey_authentication_begin,
    passkey_authentication_complete,
    passkey_get,
    passkey_registration_begin,
    passkey_registration_complete,
    passkey_remove,
    passkey_rename,
)

JsonView = Callable[[HttpRequest, User, dict[str, Any]], dict[str, Any]]


def _json_body(request: HttpRequest) -> dict[str, Any]:
    if request.content_type != "application/json":
        raise PasskeyError(415, "unsupported_media_type", "Send the request as application/json.")
    try:
        body = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        raise PasskeyError(400, "malformed_request", "The request body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise PasskeyError(400, "malformed_request", "The request body must be a JSON object.")
    return body


def _safe_next(request: HttpRequest, target: object) -> str:
    target = target if isinstance(target, str) and target else reverse("dashboard")
    allowed = url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure())
    return target if allowed else reverse("dashboard")


def passkey_endpoint(view: JsonView) -> Callable[[HttpRequest], HttpResponse]:
    """POST with a JSON object from a signed-in session (CSRF-checked like any form); a refusal is a problem
    document naming its `code` and, for bad input, the field."""

    @never_cache
    @require_POST
    def wrapped(request: HttpRequest) -> HttpResponse:
        try:
            user = request.user
            if not isinstance(user, User) or not user.is_authenticated:
                raise PasskeyError(401, "not_authenticated", "Sign in with your password first.")
            return JsonResponse(view(request, user, _json_body(request)))
        except PasskeyError as exc:
            return JsonResponse(exc.as_problem(), status=exc.status, content_type=PROBLEM_CONTENT_TYPE)

    wrapped.__name__ = wrapped.__qualname__ = view.__name__
    return wrapped


@passkey_endpoint
def registration_begin(request: HttpRequest, user: User, body: dict[str, Any]) -> dict[str, Any]:
    return passkey_registration_begin(request=request, user=user, name=body.get("name"))


@passkey_endpoint
def registration_complete(request: HttpRequest, user: User, body: dict[str, Any]) -> dict[str, Any]:
    enrolled = passkey_registration_complete(request=request, user=user, credential=body.get("credential"))
    passkey = enrolled.passkey
    messages.success(request, f"Passkey “{passkey.name}” added: use it at your next sign-in.")
    return {"passkey": {"id": passkey.pk, "name": passkey.name}, "backup_codes": enrolled.backup_codes}


@passkey_endpoint
def authentication_begin(request: HttpRequest, user: User, body: dict[str, Any]) -> dict[str, Any]:
    return passkey_authentication_begin(request=request, user=user)


@passkey_endpoint
def authentication_complete(request: HttpRequest, user: User, body: dict[str, Any]) -> dict[str, Any]:
    passkey_authentication_complete(request=request, user=user, credential=body.get("credential"))
    return {"redirect_url": _safe_next(request, body.get("next"))}


@login_required
@never_cache
def passkey_rename_page(request: HttpRequest, passkey_id: int) -> HttpResponse:
    actor = member_actor(request)
    assert actor.user is not None  # noqa: S101 - a console session has a user
    try:
        passkey = passkey_get(user=actor.user, passkey_id=passkey_id)
    except PasskeyError:
        messages.error(request, "No such passkey.")
        return redirect("account")
    form = PasskeyNameForm(request.POST or None, initial={"name": passkey.name})
    if request.method == "POST" and form.is_valid():
        try:
            passkey_rename(actor=actor, passkey_id=passkey.pk, name=form.cleaned_data["name"])
        except PasskeyError as exc:
            form.add_error("name" if exc.field == "name" else None, exc.detail)
        else:
            messages.success(request, "Passkey renamed.")
            return redirect("account")
    return render(request, "passkeys/rename.html", {"form": form, "passkey": passkey})


@login_required
@require_POST
def passkey_remove_view(request: HttpRequest, passkey_id: int) -> HttpResponse:
    actor = member_actor(request)
    form = ConfirmPasswordForm(request.POST)
    password = form.cleaned_data["current_password"] if form.is_valid() else ""
    try:
        verified_with_it = passkey_remove(
            actor=actor, request=request, passkey_id=passkey_id, current_password=password
        )
    except PasskeyError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(request, "Passkey removed. It can no longer sign you in.")
        if verified_with_it:
            messages.info(request, "You had signed in with it: verify once more with another second factor.")
    return redirect("account")
