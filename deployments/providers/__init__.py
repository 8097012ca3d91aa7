"""Runtimes a deployment can run on; each implements `Provider` (provision, status, generate, deprovision)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from deployments.models import Deployment


class Progress(Protocol):
    """Report how far provisioning got; keyword arguments are saved into the deployment's provider state."""

    def __call__(self, percent: int, stage: str, **provider_state: Any) -> None: ...


class ProviderError(Exception):
    """The runtime refused or failed; the message is safe to show (no secrets, no PHI)."""


class RuntimeUnavailable(ProviderError):
    """The runtime did not answer (down, unreachable, timed out): the gateway answers 503."""


@dataclass(frozen=True)
class Provisioned:
    """What `provision` created: ids to keep (no secrets), where the runtime answers, and its credential."""

    state: dict[str, Any] = field(default_factory=dict)
    endpoint_url: str = ""
    secret: str = ""


@dataclass(frozen=True)
class ChatMessage:
    """One turn of a conversation as the runtime receives it (after the PHI engine)."""

    role: str  # system | user | assistant
    content: str

    def as_dict(self) -> dict[str, str]:
        return {"role": self.role, "content": self.content}


@dataclass(frozen=True)
class Generation:
    text: str
    prompt_tokens: int
    completion_tokens: int
    finish_reason: str = "stop"


class TextStream(Protocol):
    """A streamed answer: iterating yields text pieces as the runtime sends them; afterwards `usage` and
    `finish_reason` describe the whole. `close()` drops the connection, which stops the runtime generating."""

    prompt_tokens: int
    completion_tokens: int
    finish_reason: str

    def __iter__(self) -> Iterator[str]: ...

    def close(self) -> None: ...


class Provider(Protocol):
    def provision(self, deployment: Deployment, progress: Progress) -> Provisioned: ...

    def status(self, deployment: Deployment) -> str:
        """`running` when the runtime answers; anything else names what is wrong (`absent`, `dead`...)."""
        ...

    def generate(
        self, deployment: Deployment, messages: Sequence[ChatMessage], *, max_tokens: int, temperature: float
    ) -> Generation: ...

    def stream(
        self, deployment: Deployment, messages: Sequence[ChatMessage], *, max_tokens: int, temperature: float
    ) -> TextStream: ...

    def deprovision(self, deployment: Deployment, progress: Progress) -> None: ...


def provider_for(name: str) -> Provider:
    if name == "aws":
        from deployments.providers.aws import AwsProvider  # boto3 loads only for this provider

        return AwsProvider()
    if name == "local":
        from deployments.providers.local import LocalProvider  # loaded only when used

        return LocalProvider()
    if name == "external":
        from deployments.providers.external import ExternalProvider  # loaded only when used

        return ExternalProvider()
    raise ProviderError(f"unknown provider {name}")
