"""Writes for identity and tenancy: keyword-only, atomic, returning the object."""

from __future__ import annotations

from django.db import transaction
from django.utils.text import slugify

from accessctl.models import Membership, Organization, User


@transaction.atomic
def organization_get_or_create(*, name: str) -> tuple[Organization, bool]:
    return Organization.objects.get_or_create(name=name, defaults={"slug": slugify(name)[:60]})


@transaction.atomic
def user_create(
    *, organization: Organization, username: str, email: str, password: str | None, is_superuser: bool = False
) -> User:
    """A user and their membership in `organization`; an unusable password when none is given."""
    user = User(username=username, email=email, is_staff=is_superuser, is_superuser=is_superuser)
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    Membership.objects.create(organization=organization, user=user)
    return user
