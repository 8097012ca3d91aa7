"""Verify the live audit table: every chain, or one organisation's."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from audit.models import AuditEvent, ChainHead
from audit.verify_live import verify_chain


class Command(BaseCommand):
    help = "Sequence pending events, then verify hashes, links, Merkle roots and checkpoint signatures."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--chain", help="one chain (an organisation's public id, or 'platform')")

    def handle(self, *args: Any, chain: str | None, **options: Any) -> None:
        if chain:
            chains = [chain]
        else:
            known = set(ChainHead.objects.values_list("chain", flat=True))
            chains = sorted(known | set(AuditEvent.objects.values_list("chain", flat=True).distinct()))
        failed = 0
        for name in chains:
            report = verify_chain(name)
            self.stdout.write(f"{name}: {report.line()}")
            failed += not report.ok
        if failed:
            raise CommandError(f"{failed} chain(s) failed verification")
