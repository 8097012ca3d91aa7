"""External: an existing OpenAI-compatible endpoint (URL and API key given at creation, the key stored
encrypted). Provisioning checks that it answers with TLS verified and serves the model; nothing is created.

Every call goes through `openai_compat`'s external mode: public addresses only, checked on each connection
(`egress`), no redirects, and no error or failure reason carries anything the endpoint sent."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from deployments.providers import (
    ChatMessage,
    Generation,
    Progress,
    ProviderError,
    Provisioned,
    TextStream,
    openai_compat,
)

if TYPE_CHECKING:
    from deployments.models import Deployment


def remote_model(deployment: Deployment) -> str:
    return str(deployment.provider_state.get("remote_model") or deployment.model.name)


class ExternalProvider:
    def provision(self, deployment: Deployment, progress: Progress) -> Provisioned:
        progress(40, "checking the endpoint")
        served = openai_compat.models(deployment.endpoint_url, deployment.endpoint_secret or "", external=True)
        model = remote_model(deployment)
        if served and model not in served:
            raise ProviderError(f"The endpoint does not serve {model}.")  # not what it serves: that is its content
        return Provisioned(state={"remote_model": model}, endpoint_url=deployment.endpoint_url)

    def status(self, deployment: Deployment) -> str:
        try:
            openai_compat.models(deployment.endpoint_url, deployment.endpoint_secret or "", timeout=5.0, external=True)
        except ProviderError:
            return "not answering"
        return "running"

    def generate(
        self, deployment: Deployment, messages: Sequence[ChatMessage], *, max_tokens: int, temperature: float
    ) -> Generation:
        return openai_compat.chat(
            deployment.endpoint_url, deployment.endpoint_secret or "", model=remote_model(deployment),
            messages=messages, max_tokens=max_tokens, temperature=temperature, external=True,
        )  # fmt: skip

    def stream(
        self, deployment: Deployment, messages: Sequence[ChatMessage], *, max_tokens: int, temperature: float
    ) -> TextStream:
        return openai_compat.chat_stream(
            deployment.endpoint_url, deployment.endpoint_secret or "", model=remote_model(deployment),
            messages=messages, max_tokens=max_tokens, temperature=temperature, external=True,
        )  # fmt: skip

    def deprovision(self, deployment: Deployment, progress: Progress) -> None:
        progress(50, "forgetting the endpoint")  # the endpoint is not ours to stop
