"""Crypto-shred an organisation: destroy its keys so everything encrypted for it becomes unreadable."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accessctl.models import Organization
from encryption.services import keys_destroy


class Command(BaseCommand):
    help = "Destroy ORGANIZATION's keys (irreversible). Repeat its public id with --confirm."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("organization", help="public id (org_…)")
        parser.add_argument("--confirm", required=True, help="the same public id again")
        parser.add_argument("--reason", required=True)

    def handle(self, *args: Any, organization: str, confirm: str, reason: str, **options: Any) -> None:
        if confirm != organization:
            raise CommandError("--confirm does not match the organisation id; nothing was destroyed")
        found = Organization.objects.filter(public_id=organization).first()
        if found is None:
            raise CommandError(f"no organisation {organization}")
        destroyed = keys_destroy(actor=None, organization=found, reason=reason)
        self.stdout.write(f"{destroyed} key(s) of {found.name} destroyed; its encrypted data is now unreadable")
