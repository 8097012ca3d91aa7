"""Operator recovery: let a user whom the sign-in lockout holds sign in again now."""

from __future__ import annotations

import re
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accessctl.lockout import account_unlock
from accessctl.models import User

_TICKET = re.compile(r"[A-Za-z0-9._-]{1,64}")


class Command(BaseCommand):
    help = (
        "Clear USERNAME's sign-in lockouts: the per-account one (failures from every address) and axes' per-address "
        "ones. Written to the audit log as auth.account_unlocked."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username", help="the account's user name (any case)")
        parser.add_argument(
            "--ticket", default="", help="the support ticket that asked for it (letters, digits, . _ -)"
        )

    def handle(self, *args: Any, username: str, ticket: str, **options: Any) -> None:
        if ticket and not _TICKET.fullmatch(ticket):
            raise CommandError("--ticket must be 1-64 letters, digits, '.', '_' or '-' (an id, not free text)")
        user = User.objects.filter(username__iexact=username.strip()).order_by("id").first()
        if user is None:
            raise CommandError(f"no user {username!r}")
        unlocked = account_unlock(actor=None, user=user, via="command", ticket=ticket)
        state = "was locked" if unlocked.was_locked else "was not locked"
        self.stdout.write(
            f"{user.username} {state}; cleared {unlocked.account_failures} recent failed sign-in(s) and "
            f"{unlocked.locked_addresses} locked-out address(es)"
        )
