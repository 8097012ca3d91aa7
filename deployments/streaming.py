"""Streamed inference: the model's answer released piece by piece through the PHI hold-back window.

`generate_stream` runs everything a whole-answer call runs before the model (`gateway.prepare`: policy,
compliance gate, PHI engine on every turn) and opens the runtime's stream, so every refusal is still an HTTP
error with its status. Iterating the returned `InferenceStream` yields text that has passed `phi.stream.HoldBack`
(nothing that could be the start of an identifier is released early). When the stream ends — completed, failed,
or closed because the client went away — the same audit events as a whole-answer call are written, with outcome
`success`, `error` or `cancelled`, and the connection to the runtime is closed, which stops its generation.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import structlog

from deployments.gateway import RESPONSE_MODE, GatewayRefused, GenerateRequest, PreparedCall, open_stream, prepare
from deployments.providers import ProviderError, RuntimeUnavailable, TextStream
from phi import get_engine
from phi.stream import HoldBack

if TYPE_CHECKING:
    from accessctl.actor import Actor

log = structlog.get_logger(__name__)


class InferenceStream:
    """One streamed answer. Iterate once; `outcome`, `usage` and `finish_reason` are set when it ends."""

    def __init__(self, call: PreparedCall, upstream: TextStream) -> None:
        self.call, self.upstream = call, upstream
        self.id = str(call.base["inference_id"])
        self.deployment = call.deployment
        self.mode = call.mode
        self.window = HoldBack(get_engine(), RESPONSE_MODE[call.mode], context=call.context)
        self.outcome = "pending"
        self.finish_reason = "stop"
        self.usage: dict[str, int] = {}
        self.phi_counts: dict[str, dict[str, int]] = {}
        self._iterating = False

    def close(self) -> None:
        """Give up on the answer. Once iteration started, closing the iterator audits the call; before, this does."""
        if self.outcome == "pending" and not self._iterating:
            self.outcome = "cancelled"
            self.upstream.close()
            self._audit("cancelled", "", 0.0)

    def __iter__(self) -> Iterator[str]:
        self._iterating = True
        model_started = time.perf_counter()
        outcome, failure = "error", ""
        try:
            for piece in self.upstream:
                released = self.window.feed(piece)
                if released:
                    yield released
            rest = self.window.finish()
            if rest:
                yield rest
            outcome = "success"
        except GeneratorExit:
            outcome = "cancelled"  # the client went away: close the runtime's stream and audit what happened
            raise
        except ProviderError as exc:
            unavailable = isinstance(exc, RuntimeUnavailable)
            failure = "runtime-unavailable" if unavailable else "runtime-error"
            raise GatewayRefused(503 if unavailable else 502, failure, str(exc)) from None
        except Exception as exc:  # fail closed: without the PHI engine nothing more is released
            failure = "phi-engine-unavailable"
            log.error("gateway.phi_engine_failed", exception_type=type(exc).__name__)
            raise GatewayRefused(503, failure, "The PHI engine is unavailable; the answer was stopped.") from None
        finally:
            self.upstream.close()
            self._audit(outcome, failure, (time.perf_counter() - model_started) * 1000)

    def _audit(self, outcome: str, failure: str, model_ms: float) -> None:
        self.outcome, self.finish_reason = outcome, self.upstream.finish_reason
        prompt_tokens, completion_tokens = self.upstream.prompt_tokens, self.upstream.completion_tokens
        self.usage = {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                      "total_tokens": prompt_tokens + completion_tokens}  # fmt: skip
        extra: dict[str, Any] = {"released_chars": self.window.released}
        if failure:
            extra["refused"] = failure
        if self.window.late:
            extra["late_entities"] = self.window.late  # seen only after the text around them was released
        try:
            self.phi_counts = self.call.record_inference(
                usage=self.usage, answer=self.window.entities, response_chars=len(self.window.text),
                model_ms=model_ms, outcome=outcome, **extra,
                pairs=self.call.surrogate_pairs(self.window.text, self.window.entities),
            )  # fmt: skip
        except Exception as exc:  # the answer is already on its way; say so loudly (never with its text)
            log.error("gateway.stream_audit_failed", inference_id=self.id, exception_type=type(exc).__name__)
            if outcome == "success":
                raise


def generate_stream(*, actor: Actor, deployment_id: str, request: GenerateRequest) -> InferenceStream:
    """Prepare the call and open the runtime's stream; raises every refusal `gateway.generate` raises."""
    call = prepare(actor=actor, deployment_id=deployment_id, request=request, stream=True)
    return InferenceStream(call, open_stream(call))
