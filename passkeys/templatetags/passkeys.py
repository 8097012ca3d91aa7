"""Template tags that put passkeys on accessctl's pages (the account page, MFA set-up and the MFA step)
without accessctl importing this app, which sits above it."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse

from accessctl.models import User
from passkeys.services import MAX_PASSKEYS, NAME_MAX_LENGTH, passkeys_of

register = template.Library()


def _user(context: template.Context) -> User | None:
    user = getattr(context.get("request"), "user", None)
    return user if isinstance(user, User) and user.is_authenticated else None


@register.inclusion_tag("passkeys/account_section.html", takes_context=True)
def passkeys_account_section(context: template.Context) -> dict[str, Any]:
    """The account page's card: the user's passkeys (rename, remove) and the form that adds one."""
    user = _user(context)
    passkeys = list(passkeys_of(user)) if user is not None else []
    return {
        "passkeys": passkeys,
        "can_add": len(passkeys) < MAX_PASSKEYS,
        "max_passkeys": MAX_PASSKEYS,
        "name_max_length": NAME_MAX_LENGTH,
        "done_url": reverse("account"),
        "csrf_token": context.get("csrf_token"),
    }


@register.inclusion_tag("passkeys/enrol_form.html", takes_context=True)
def passkey_enrol_form(context: template.Context, done_url: str) -> dict[str, Any]:
    return {"name_max_length": NAME_MAX_LENGTH, "done_url": done_url, "csrf_token": context.get("csrf_token")}


@register.inclusion_tag("passkeys/verify_form.html", takes_context=True)
def passkey_verify_form(context: template.Context, next_url: str) -> dict[str, Any]:
    """The MFA step's passkey button, for a user who has a passkey (nothing otherwise)."""
    user = _user(context)
    return {
        "show": user is not None and passkeys_of(user).exists(),
        "next": next_url,
        "csrf_token": context.get("csrf_token"),
    }
