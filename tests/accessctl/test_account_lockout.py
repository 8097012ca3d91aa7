"""The per-account lockout: failed sign-ins for one user name from every address together lock it (django-axes
alone counts per user name + address, which many addresses get around); a locked sign-in looks like a wrong
password; an administrator (role:manage) or the operator unlocks it, audited."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from accessctl.models import LoginFailure
from audit.models import AuditEvent
from tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db

WRONG = "Wrong username or password."


def attempt(username: str, address: str, password: str = "not the password") -> tuple[int, str]:  # noqa: S107
    """One sign-in from `address`, in a fresh browser each time (as a botnet would)."""
    response = Client().post("/login/", {"username": username, "password": password}, REMOTE_ADDR=address)
    return response.status_code, response.content.decode()


def spray(username: str, addresses: int, per_address: int, start: int = 1) -> None:
    for n in range(start, start + addresses):
        for _ in range(per_address):
            status, page = attempt(username, f"198.51.100.{n}")
            assert status == 200 and WRONG in page  # never 429: no address reaches the per-address limit


def account_lockouts() -> list[AuditEvent]:
    return [e for e in AuditEvent.objects.filter(event_type="auth.lockout") if e.details.get("scope") == "account"]


def test_many_addresses_cannot_share_out_the_guesses(alice):
    spray("alice", addresses=20, per_address=4)  # 80 wrong passwords, 4 from each of 20 addresses
    status, page = attempt("alice", "203.0.113.50", TEST_PASSWORD)  # then the right one, from somewhere new
    assert status == 200 and WRONG in page  # refused, and told apart from a wrong password by nothing
    assert "Too many" not in page
    events = account_lockouts()
    assert events and {(e.user_id, e.outcome) for e in events} == {(alice.public_id, "denied")}
    last = events[-1].details
    assert last["known_user"] is True and last["refused"] is True and last["failures"] >= 10
    assert last["window_minutes"] == 15


def test_the_lock_engages_at_the_limit_and_not_before(alice):
    spray("alice", addresses=9, per_address=1)
    assert not account_lockouts()
    status, _ = attempt("alice", "203.0.113.50", TEST_PASSWORD)
    assert status == 302  # nine failures: still below the limit
    spray("ALICE", addresses=10, per_address=1, start=20)  # the count is case-folded, like axes'
    first = account_lockouts()[0]
    assert first.details["failures"] == 10 and first.details["refused"] is False  # the tenth failure locks
    status, page = attempt("Alice", "203.0.113.51", TEST_PASSWORD)
    assert status == 200 and WRONG in page


def test_a_locked_unknown_name_looks_the_same(alice):
    spray("nobody", addresses=10, per_address=1)
    status, page = attempt("nobody", "203.0.113.50")
    assert status == 200 and WRONG in page
    assert {e.details["known_user"] for e in account_lockouts()} == {False}


def test_failures_leave_the_window(alice, settings):
    spray("alice", addresses=10, per_address=1)
    assert attempt("alice", "203.0.113.50", TEST_PASSWORD)[0] == 200
    LoginFailure.objects.update(attempted_at=timezone.now() - timedelta(minutes=15, seconds=1))
    assert attempt("alice", "203.0.113.50", TEST_PASSWORD)[0] == 302


def test_the_limit_is_configurable(alice, settings):
    settings.ACCOUNT_LOCKOUT_FAILURES = 3
    spray("alice", addresses=3, per_address=1)
    assert attempt("alice", "203.0.113.50", TEST_PASSWORD)[0] == 200


def test_the_operator_unlocks_with_the_command(alice, capsys):
    spray("alice", addresses=10, per_address=1)
    for _ in range(5):  # and the per-address lock of axes from one more address
        attempt("alice", "192.0.2.9")
    assert attempt("alice", "192.0.2.9", TEST_PASSWORD)[0] == 429
    call_command("unlock_account", "ALICE", "--ticket", "OPS-77")
    assert "alice was locked" in capsys.readouterr().out
    assert attempt("alice", "192.0.2.9", TEST_PASSWORD)[0] == 302
    event = AuditEvent.objects.get(event_type="auth.account_unlocked")
    assert event.user_id == alice.public_id and event.actor_id == "system"
    assert event.details["via"] == "command" and event.details["ticket"] == "OPS-77"
    assert event.details["was_locked"] is True and event.details["locked_addresses"] == 1
    with pytest.raises(CommandError, match="no user"):
        call_command("unlock_account", "nobody")


def test_an_administrator_unlocks_a_member_over_rest(alice, bob):
    spray("bob", addresses=10, per_address=1)
    assert attempt("bob", "203.0.113.50", TEST_PASSWORD)[0] == 200
    api = APIClient()
    api.force_authenticate(alice)
    response = api.post(f"/api/v1/users/{bob.public_id}/unlock")
    assert response.status_code == 200, response.content
    assert response.json() == {"user_id": bob.public_id, "username": "bob", "was_locked": True,
                               "account_failures": 11, "locked_addresses": 0}  # fmt: skip
    assert attempt("bob", "203.0.113.50", TEST_PASSWORD)[0] == 302
    event = AuditEvent.objects.get(event_type="auth.account_unlocked")
    assert (event.actor_id, event.resource_id, event.details["via"]) == (alice.public_id, bob.public_id, "api")


def test_unlocking_needs_role_manage_and_stays_in_the_organisation(alice, bob, charlie):
    spray("alice", addresses=10, per_address=1)
    spray("charlie", addresses=10, per_address=1, start=20)
    api = APIClient()
    api.force_authenticate(bob)  # a member without role:manage
    refused = api.post(f"/api/v1/users/{alice.public_id}/unlock")
    assert refused.status_code == 403 and refused["Content-Type"] == "application/problem+json"
    api.force_authenticate(alice)
    assert api.post(f"/api/v1/users/{charlie.public_id}/unlock").status_code == 400  # Globex's, not Acme's
    assert attempt("alice", "203.0.113.50", TEST_PASSWORD)[0] == 200
    assert attempt("charlie", "203.0.113.50", TEST_PASSWORD)[0] == 200
    assert not AuditEvent.objects.filter(event_type="auth.account_unlocked").exists()
