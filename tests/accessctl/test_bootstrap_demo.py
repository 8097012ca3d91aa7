"""`manage.py bootstrap_demo`: demo organisation and admin, once."""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import CommandError, call_command

from accessctl.models import Membership, Organization, User

pytestmark = pytest.mark.django_db


def bootstrap() -> str:
    out = io.StringIO()
    call_command("bootstrap_demo", stdout=out)
    return out.getvalue()


def test_creates_organisation_and_admin_and_prints_the_password_once(monkeypatch):
    monkeypatch.delenv("PAITIENT_ADMIN_PASSWORD", raising=False)
    first = bootstrap()
    match = re.search(r"Admin: admin  password: (\S+)", first)
    assert match, first
    admin = User.objects.get(username="admin")
    assert admin.is_superuser and admin.is_staff
    assert admin.check_password(match.group(1))
    assert Membership.objects.get(user=admin).organization.name == "Demo Health"

    second = bootstrap()
    assert "password:" not in second
    assert "exists; password unchanged" in second
    assert Organization.objects.count() == 1
    assert User.objects.count() == 1
    assert User.objects.get(username="admin").check_password(match.group(1))


def test_password_can_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("PAITIENT_ADMIN_PASSWORD", "a-long-demo-password")
    output = bootstrap()
    assert "a-long-demo-password" not in output
    assert User.objects.get(username="admin").check_password("a-long-demo-password")


def test_short_environment_password_is_refused_without_creating_anything(monkeypatch):
    monkeypatch.setenv("PAITIENT_ADMIN_PASSWORD", "short")
    with pytest.raises(CommandError, match="at least 12 characters"):
        bootstrap()
    assert not User.objects.exists()
    assert not Organization.objects.exists()


def test_api_key_is_issued_once_for_the_demo_admin(monkeypatch):
    from accessctl.models import ApiKey

    monkeypatch.delenv("PAITIENT_ADMIN_PASSWORD", raising=False)
    out = io.StringIO()
    call_command("bootstrap_demo", "--api-key", stdout=out)
    match = re.search(r"PAITIENT_API_KEY=(psk_\S+)", out.getvalue())
    assert match
    again = io.StringIO()
    call_command("bootstrap_demo", "--api-key", stdout=again)
    assert "PAITIENT_API_KEY=" not in again.getvalue() and "issued earlier" in again.getvalue()
    assert ApiKey.objects.count() == 1
    assert match.group(1) not in ApiKey.objects.get().secret_hash
