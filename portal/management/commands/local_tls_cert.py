"""Write a self-signed certificate for localhost when none exists (the embedded default serves HTTPS)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from core.tls import write_self_signed


class Command(BaseCommand):
    help = "Create CERT and KEY (self-signed, localhost) unless both exist."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("cert", type=Path)
        parser.add_argument("key", type=Path)

    def handle(self, *args: Any, cert: Path, key: Path, **options: Any) -> None:
        if cert.exists() and key.exists():
            self.stdout.write(f"TLS certificate: {cert} (exists)")
            return
        write_self_signed(cert, key)
        self.stdout.write(f"TLS certificate: {cert} (created, self-signed for localhost)")
