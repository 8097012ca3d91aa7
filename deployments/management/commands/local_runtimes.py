"""List or stop the llama.cpp servers of local deployments (`scripts/run` stops them when it exits).

Stopping leaves the deployments `ready`: when the service starts again the reconcile beat restarts them.
`--stop-all` also stops every server this control plane started that no deployment records (found by the owner
tag each carries: a restart whose pid was not saved yet, a deployment deleted meanwhile)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from deployments.models import Deployment, Provider, State
from deployments.providers.local import is_ours, owned_runtimes, stop_runtime


class Command(BaseCommand):
    help = "List the local llama.cpp runtimes, or stop them all with --stop-all."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--stop-all", action="store_true", help="stop every local runtime process")

    def handle(self, *args: Any, stop_all: bool, **options: Any) -> None:
        live = Deployment.objects.filter(provider=Provider.LOCAL).exclude(state=State.STOPPED)
        for deployment in live:
            pid, port = deployment.provider_state.get("pid"), deployment.provider_state.get("port")
            running = bool(pid and port and is_ours(int(pid), int(port)))
            if stop_all and running:
                stop_runtime(int(pid), int(port))
                self.stdout.write(f"stopped {deployment.name} ({deployment.public_id}) pid {pid}")
            else:
                status = f"running pid {pid} on 127.0.0.1:{port}" if running else "not running"
                self.stdout.write(f"{deployment.name} ({deployment.public_id}) {deployment.state}: {status}")
        if stop_all:
            for runtime in owned_runtimes():
                stop_runtime(runtime.pid, runtime.port)
                self.stdout.write(f"stopped an unrecorded runtime of {runtime.deployment_public_id} pid {runtime.pid}")
