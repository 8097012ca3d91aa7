"""Runtimes a deployment can run on; each implements `Provider` (provision, status, deprovision)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from deployments.models import Deployment

Progress = Callable[[int, str], None]


class ProviderError(Exception):
    """The runtime refused or failed; the message is safe to show (no secrets, no PHI)."""


class Provider(Protocol):
    def provision(self, deployment: Deployment, progress: Progress) -> dict[str, Any]: ...

    def status(self, deployment: Deployment) -> str: ...

    def deprovision(self, deployment: Deployment, progress: Progress) -> None: ...


def provider_for(name: str) -> Provider:
    if name == "aws":
        from deployments.providers.aws import AwsProvider

        return AwsProvider()
    raise ProviderError(f"the {name} provider is not available on this server yet")
