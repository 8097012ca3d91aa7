"""Issue an API key for a user and print it once (for SDKs: PAITIENT_API_KEY)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accessctl.api_keys import ApiKeyError, api_key_issue
from accessctl.models import User
from accessctl.selectors import active_membership_for_user


class Command(BaseCommand):
    help = "Issue an API key for USERNAME and print the token (shown once; only its hash is stored)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--name", default="command line")
        parser.add_argument("--quiet", action="store_true", help="print only the token")

    def handle(self, *args: Any, username: str, name: str, quiet: bool, **options: Any) -> None:
        user = User.objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"no active user named {username}")
        membership = active_membership_for_user(user)
        if membership is None:
            raise CommandError(f"{username} is not a member of any organisation")
        try:
            _, token = api_key_issue(actor=None, organization=membership.organization, user=user, name=name)
        except ApiKeyError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(token if quiet else f"PAITIENT_API_KEY={token}")
