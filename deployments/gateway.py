"""The inference gateway: every prompt and response passes the PHI engine and is audited (types and counts).

authorize → compliance gate → PHI engine on the prompt → provider → PHI engine on the response → audit
`model.inference` + `phi.detection` in one transaction. Prompt and response text are never stored or logged.
Any safeguard that cannot run (PHI engine, audit log) fails the call closed.
"""

from __future__ import annotations

import time
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import structlog
from django.conf import settings
from django.db import transaction

from accessctl.policy import authorize
from accessctl.security import request_settings_for
from audit.services import batched, record
from core.errors import FieldError, ProblemError, TooLarge
from core.metrics import StageClock, count_gateway_call
from deployments import reidentify
from deployments.associates import baa_covers, business_associate, describe
from deployments.associates import register_baa_check as register_baa_check
from deployments.isolation import is_isolated, uses_tls
from deployments.models import Deployment, Provider, State
from deployments.providers import ChatMessage, ProviderError, RuntimeUnavailable, TextStream, provider_for
from deployments.selectors import access_deployment
from encryption.master import MasterKeyUnavailable, master_key
from encryption.services import hmac_key
from phi import DeidContext, Entity, PHIRejected, Result, process
from phi.types import ENTITY_TYPES, normalize_mode

if TYPE_CHECKING:
    from accessctl.actor import Actor
    from accessctl.models import SecuritySettings

log = structlog.get_logger(__name__)

MAX_PROMPT_CHARS: int = settings.PAITIENT_MAX_PROMPT_CHARS  # over it: 413
MAX_TOKENS_LIMIT = 4096
# How strongly a mode protects PHI: a request may ask for a stronger mode than the deployment's, never weaker.
STRENGTH = {"off": -1, "detect": 0, "redact": 1, "deidentify": 1, "reject": 2}
# What happens to PHI in the model's answer: the same rewrite as the prompt's, and redaction when the prompt
# was rejected-or-clean (the answer may still name someone).
RESPONSE_MODE = {"off": "off", "detect": "detect", "redact": "redact", "deidentify": "deidentify", "reject": "redact"}


class GatewayRefused(ProblemError):
    """The gateway would not run the call; `status` and `code` say how the API answers. Safe to show."""


@dataclass(frozen=True)
class GenerateRequest:
    prompt: str = ""
    max_tokens: int = 256
    temperature: float = 0.7
    phi_detection: bool | None = None
    phi_redaction: bool | None = None
    phi_handling: str | None = None
    subject_id: str | None = None  # de-identification: one patient's dates all shift by the same days
    # A chat (`/v1/chat/completions`): the whole conversation, every turn through the PHI engine. Empty for
    # the native call, whose `prompt` is one user turn.
    messages: tuple[ChatMessage, ...] = ()
    reidentify: bool = False  # de-identify mode, `phi:reidentify` holders: the answer with the originals back
    conversation_id: str | None = None  # de-identify: calls that share it share their re-identification maps

    @property
    def conversation(self) -> tuple[ChatMessage, ...]:
        return self.messages or (ChatMessage("user", self.prompt),)

    @property
    def input_field(self) -> str:
        return "messages" if self.messages else "prompt"


@dataclass(frozen=True)
class Inference:
    id: str
    deployment: Deployment
    text: str
    processed_prompt: str
    mode: str
    prompt_entities: tuple[Entity, ...]
    response_entities: tuple[Entity, ...]
    usage: dict[str, int]
    latency_ms: float
    finish_reason: str
    phi_counts: dict[str, dict[str, int]] = field(default_factory=dict)
    reidentified: bool = False  # `text` has the originals back (a holder of phi:reidentify asked)
    # Where the last turn's entities (`processed_spans`) and the answer's (`response_spans`) sit in
    # `processed_prompt` and `text`: the console marks them there. Empty when `text` was re-identified.
    processed_spans: tuple[tuple[int, int], ...] = ()
    response_spans: tuple[tuple[int, int], ...] = ()


def requested_mode(request: GenerateRequest, deployment: Deployment, policy: SecuritySettings) -> str:
    """The PHI mode for this call: the request's, checked against the deployment's and organisation's minimum.
    `off` (no PHI engine at all) only when the organisation has PHI detection off and the request asks."""
    if request.phi_detection is False and not (request.phi_handling or request.phi_redaction):
        if policy.phi_detection:
            raise FieldError(
                "security_settings.phi_detection",
                "This organisation requires PHI detection on every prompt"
                + (" (HIPAA mode)." if policy.hipaa_mode else "."),
            )
        if STRENGTH[deployment.security_settings.get("phi_handling", "detect")] == 0:
            return "off"
    if request.phi_handling:
        try:
            mode = normalize_mode(request.phi_handling)
        except ValueError:
            raise FieldError(
                "security_settings.phi_handling", "Choose detect, redact, reject or de-identify."
            ) from None
    elif request.phi_redaction:
        mode = "redact"
    else:
        mode = deployment.security_settings.get("phi_handling", "detect")
    floor = deployment.security_settings.get("phi_handling", "detect")
    if request.phi_detection is False and STRENGTH[floor] > 0:
        raise FieldError("security_settings.phi_detection", f"This deployment requires PHI handling {floor}.")
    if STRENGTH[mode] < STRENGTH[floor]:
        raise FieldError("security_settings.phi_handling", f"This deployment requires at least {floor}.")
    return mode


class DisclosureRecorder(Protocol):
    def __call__(
        self, *, actor: Actor, deployment: Deployment, inference_id: str, mode: str,
        texts: Sequence[tuple[str, Sequence[Entity]]],
    ) -> object: ...  # fmt: skip


# The accounting of disclosures (45 CFR 164.528): `disclosures` (which builds on this app) registers its recorder
# in its AppConfig.ready(); it hashes the prompt's identifiers inside the inference's audit transaction. Until it
# has, every inference is refused (fail closed): a disclosure nobody could account for must not happen.
_disclosure_recorder: DisclosureRecorder | None = None


def register_disclosure_recorder(recorder: DisclosureRecorder) -> None:
    global _disclosure_recorder
    _disclosure_recorder = recorder


def compliance_gate(deployment: Deployment, policy: SecuritySettings) -> None:
    """What must hold before any PHI may flow to this deployment's runtime."""
    if policy.hipaa_mode:
        associate = business_associate(deployment)  # None: the organisation's own machine, no BAA needed
        if associate is not None and not baa_covers(deployment.organization, associate):
            raise GatewayRefused(
                403, "baa-required",
                f"HIPAA mode: no active Business Associate Agreement with {describe(associate)} "
                f"(business associate \"{associate}\") is on file for this organisation; record and activate one "
                "before sending PHI to this deployment.",
                business_associate=associate,
            )  # fmt: skip
        # Isolation is derived, not read from a flag; an external endpoint (never isolated) is allowed only with
        # its vendor's BAA (checked above) and TLS.
        external_ok = deployment.provider == Provider.EXTERNAL and uses_tls(deployment)
        if not is_isolated(deployment) and not external_ok:
            raise GatewayRefused(
                409, "network-isolation-required", "HIPAA mode: this deployment is not network isolated."
            )
    if deployment.state != State.READY:
        raise GatewayRefused(409, "deployment-not-ready", f"The deployment is {deployment.state}, not ready.")


def _validate(request: GenerateRequest) -> None:
    field_name = request.input_field
    turns = request.conversation
    if not any(isinstance(m.content, str) and m.content.strip() for m in turns):
        raise FieldError(field_name, "Give a non-empty prompt." if field_name == "prompt" else "Give a message.")
    chars = sum(len(m.content) for m in turns)
    if chars > MAX_PROMPT_CHARS:
        what = "The messages are" if request.messages else "The prompt is"
        raise TooLarge(field_name, f"{what} {chars} characters; at most {MAX_PROMPT_CHARS}.")
    if not 1 <= request.max_tokens <= MAX_TOKENS_LIMIT:
        raise FieldError("max_tokens", f"Between 1 and {MAX_TOKENS_LIMIT}.")
    if not 0.0 <= request.temperature <= 2.0:
        raise FieldError("temperature", "Between 0 and 2.")
    if request.conversation_id is not None and not 1 <= len(request.conversation_id) <= 100:
        raise FieldError("conversation_id", "Between 1 and 100 characters.")


def _phi(text: str, mode: str, context: DeidContext | None) -> Result:
    if mode == "off":
        return Result(text, (), "detect")
    try:
        return process(text, mode, context=context)
    except PHIRejected:
        raise
    except Exception as exc:  # fail closed: no PHI safeguard, no inference
        log.error("gateway.phi_engine_failed", exception_type=type(exc).__name__)
        raise GatewayRefused(
            503, "phi-engine-unavailable", "The PHI engine is unavailable; nothing was sent."
        ) from None


def _counts(entities: tuple[Entity, ...]) -> dict[str, int]:
    return dict(sorted(Counter(e.type for e in entities).items()))


@dataclass
class PreparedCall:
    """A call that passed every check and whose conversation passed the PHI engine: what the runtime may see."""

    actor: Actor
    deployment: Deployment
    request: GenerateRequest
    mode: str
    context: DeidContext | None
    prompts: list[Result]  # one per turn of the conversation, in order
    base: dict[str, Any]  # the audit details every event of the call carries
    started: float
    clock: StageClock = field(default_factory=StageClock)  # per-stage timings for /metrics and the gateway bench

    @property
    def messages(self) -> tuple[ChatMessage, ...]:
        return tuple(ChatMessage(m.role, r.text) for m, r in zip(self.request.conversation, self.prompts, strict=True))

    @property
    def prompt_entities(self) -> tuple[Entity, ...]:
        return tuple(e for r in self.prompts for e in r.entities)

    def refuse(self, exc: GatewayRefused, outcome: str, phi: dict[str, dict[str, int]] | None = None) -> GatewayRefused:
        """Audit a refusal (and, when the PHI engine ran, what it found) and return the exception to raise."""
        count_gateway_call(self.mode, outcome)
        with transaction.atomic(), batched():  # both events in one INSERT
            if phi is not None:
                record(actor=self.actor, event_type="phi.detection", resource=self.deployment.resource,
                       resource_id=self.deployment.public_id, details={**self.base, **phi})  # fmt: skip
            record(actor=self.actor, event_type="model.inference", resource=self.deployment.resource,
                   outcome=outcome, resource_id=self.deployment.public_id,
                   details={**self.base, "refused": exc.code})  # fmt: skip
        return exc

    def runtime_failed(self, exc: ProviderError) -> GatewayRefused:
        if isinstance(exc, RuntimeUnavailable):
            return self.refuse(GatewayRefused(503, "runtime-unavailable", str(exc)), "error")
        return self.refuse(GatewayRefused(502, "runtime-error", str(exc)), "error")

    def surrogate_pairs(self, answer: str, entities: Sequence[Entity]) -> reidentify.Pairs:
        """De-identify mode: (surrogate, original) of every identifier in the conversation and the answer."""
        if self.context is None:
            return []
        texts = [(m.content, r.entities) for m, r in zip(self.request.conversation, self.prompts, strict=True)]
        return reidentify.surrogate_pairs(self.context, [*texts, (answer, entities)])

    def record_inference(
        self, *, usage: dict[str, int], answer: Sequence[Entity], response_chars: int, model_ms: float,
        outcome: str = "success", pairs: reidentify.Pairs | None = None, restored: int | None = None, **extra: Any,
    ) -> dict[str, dict[str, int]]:  # fmt: skip
        """The call's `model.inference` and `phi.detection` events and the accounting of the disclosure, in one
        transaction (fail closed: without the audit log or the disclosure log, no answer)."""
        phi_counts = {"prompt": _counts(self.prompt_entities), "response": _counts(tuple(answer))}
        latency_ms = (time.perf_counter() - self.started) * 1000
        self.clock.lap("phi_answer")
        # Every event of the call (and the disclosure's) in one INSERT at the end of the block, one round trip.
        with transaction.atomic(), batched():
            record(actor=self.actor, event_type="phi.detection", resource=self.deployment.resource,
                   resource_id=self.deployment.public_id, details={**self.base, **phi_counts})  # fmt: skip
            record(
                actor=self.actor, event_type="model.inference", resource=self.deployment.resource, outcome=outcome,
                resource_id=self.deployment.public_id,
                details={**self.base, **usage, "response_chars": response_chars, "model": self.deployment.model.name,
                         "latency_ms": round(latency_ms, 1), "model_ms": round(model_ms, 1),
                         "phi_entities": len(self.prompt_entities) + len(answer), **extra},
            )  # fmt: skip
            if _disclosure_recorder is None:
                raise GatewayRefused(503, "disclosure-log-unavailable", "The accounting of disclosures is unavailable.")
            texts = [(m.content, r.entities) for m, r in zip(self.request.conversation, self.prompts, strict=True)]
            _disclosure_recorder(actor=self.actor, deployment=self.deployment,
                                 inference_id=str(self.base["inference_id"]), mode=self.mode, texts=texts)  # fmt: skip
            reidentify.store(deployment=self.deployment, inference_id=str(self.base["inference_id"]),
                             conversation_id=self.request.conversation_id or "", pairs=pairs or [])  # fmt: skip
            if restored is not None:
                inference_id = str(self.base["inference_id"])
                reidentify.record_disclosure(actor=self.actor, deployment=self.deployment, inference_id=inference_id,
                                             restored=restored)  # fmt: skip
        self.clock.lap("audit")
        self.clock.observe()
        count_gateway_call(self.mode, outcome, entity_types=ENTITY_TYPES, prompt=phi_counts["prompt"],
                           response=phi_counts["response"])  # fmt: skip
        return phi_counts


def prepare(*, actor: Actor, deployment_id: str, request: GenerateRequest, **audit: Any) -> PreparedCall:
    """Everything before the model: authorize, validate, compliance gate, safeguards up, the PHI engine on every
    turn of the conversation. Raises DeploymentNotFound, PolicyDenied (audited by authorize), FieldError,
    GatewayRefused (audited here). `audit` adds PHI-free details to every event of the call."""
    started = time.perf_counter()
    deployment = access_deployment(actor=actor, deployment_id=deployment_id, permission="text:generate")
    _validate(request)
    policy = request_settings_for(deployment.organization)
    mode = requested_mode(request, deployment, policy)
    if request.reidentify:
        if mode != "deidentify":
            raise FieldError("reidentify", "Re-identification needs the de-identify PHI mode.")
        if audit.get("stream"):
            raise FieldError("reidentify", "Re-identification is for whole answers; ask without streaming.")
        authorize(actor, "phi:reidentify", deployment.resource)  # 403, audited: nobody else sees an original
    inference_id = f"inf_{uuid.uuid4().hex[:20]}"
    chars = sum(len(m.content) for m in request.conversation)
    base = {"inference_id": inference_id, "mode": mode, "prompt_chars": chars, **audit}
    if request.messages:
        base["messages"] = len(request.messages)
    call = PreparedCall(actor, deployment, request, mode, None, [], base, started)
    call.clock.started = call.clock.last = started
    call.clock.lap("policy")
    try:
        compliance_gate(deployment, policy)
    except GatewayRefused as exc:
        raise call.refuse(exc, "denied") from None
    if _disclosure_recorder is None:  # fail closed before anything is sent (a stream cannot take it back later)
        unaccounted = GatewayRefused(503, "disclosure-log-unavailable", "The accounting of disclosures is unavailable.")
        raise call.refuse(unaccounted, "error") from None
    try:
        master_key()  # fail closed: no encryption safeguard (runtime keys, de-identification keys), no inference
    except MasterKeyUnavailable:
        unavailable = GatewayRefused(503, "encryption-unavailable",
                                     "The encryption master key is unavailable; nothing was sent.")  # fmt: skip
        raise call.refuse(unavailable, "error") from None
    if mode == "deidentify":
        call.context = DeidContext(hmac_key(deployment.organization, purpose="deid"), request.subject_id)
    call.clock.lap("compliance")
    rejected: Counter[str] = Counter()
    for message in request.conversation:
        try:
            call.prompts.append(_phi(message.content, mode, call.context))
        except PHIRejected as exc:
            rejected.update(exc.counts)
            call.prompts.append(Result(message.content, (), "reject"))
        except GatewayRefused as exc:
            raise call.refuse(exc, "error") from None
    if rejected:
        refused = GatewayRefused(422, "phi-rejected", "The prompt contains PHI and this call rejects PHI.",
                                 entity_types=sorted(rejected))  # fmt: skip
        raise call.refuse(refused, "denied", {"prompt": dict(sorted(rejected.items())), "response": {}}) from None
    call.clock.lap("phi_prompt")
    return call


def generate(*, actor: Actor, deployment_id: str, request: GenerateRequest) -> Inference:
    """Run one prompt (or conversation) through the gateway and answer when the model is done."""
    call = prepare(actor=actor, deployment_id=deployment_id, request=request)
    model_started = time.perf_counter()
    try:
        generation = provider_for(call.deployment.provider).generate(
            call.deployment, call.messages, max_tokens=request.max_tokens, temperature=request.temperature
        )
    except ProviderError as exc:
        raise call.runtime_failed(exc) from None
    model_ms = (time.perf_counter() - model_started) * 1000
    call.clock.lap("provider")
    try:
        answer = _phi(generation.text, RESPONSE_MODE[call.mode], call.context)
    except GatewayRefused as exc:
        raise call.refuse(exc, "error") from None
    usage = {
        "prompt_tokens": generation.prompt_tokens,
        "completion_tokens": generation.completion_tokens,
        "total_tokens": generation.prompt_tokens + generation.completion_tokens,
    }
    pairs = call.surrogate_pairs(generation.text, answer.entities)
    text, restored = answer.text, None
    if request.reidentify:
        earlier = reidentify.live_pairs(deployment=call.deployment, conversation_id=request.conversation_id or "")
        text, restored = reidentify.restore(answer.text, [*earlier, *pairs])
    phi_counts = call.record_inference(usage=usage, answer=answer.entities, response_chars=len(generation.text),
                                       model_ms=model_ms, pairs=pairs, restored=restored)  # fmt: skip
    return Inference(
        id=str(call.base["inference_id"]),
        deployment=call.deployment,
        text=text,
        processed_prompt=call.prompts[-1].text,
        mode=call.mode,
        prompt_entities=call.prompt_entities,
        response_entities=answer.entities,
        usage=usage,
        latency_ms=round((time.perf_counter() - call.started) * 1000, 1),
        finish_reason=generation.finish_reason,
        phi_counts=phi_counts,
        reidentified=restored is not None,
        processed_spans=call.prompts[-1].spans,
        response_spans=() if restored is not None else answer.spans,
    )


def open_stream(call: PreparedCall) -> TextStream:
    """Start the model's streamed answer for a prepared call (refusals audited)."""
    try:
        return provider_for(call.deployment.provider).stream(
            call.deployment, call.messages, max_tokens=call.request.max_tokens, temperature=call.request.temperature
        )
    except ProviderError as exc:
        raise call.runtime_failed(exc) from None
