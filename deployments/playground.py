"""The console's prompt playground: one prompt through the inference gateway, whole (the form post that works
without JavaScript) or streamed as server-sent events to `static/portal/playground.js` as the gateway releases
the answer through its PHI hold-back window. Both show detected PHI marked in the prompt, in what the model
received and in the answer. The prompt is never in a URL and never logged or audited here."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.safestring import SafeString
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from accessctl.console import member_actor
from accessctl.policy import is_allowed
from core.errors import FieldError
from core.forms import show_field_error
from deployments import gateway
from deployments.api.events import Events, EventStream, sse
from deployments.forms import FIELD_FOR_ERROR, PlaygroundForm
from deployments.highlight import marked
from deployments.models import State
from deployments.selectors import access_deployment, deployment_rows
from deployments.streaming import InferenceStream, generate_stream
from deployments.views import detail_context, may_somewhere
from phi import Entity


@dataclass
class PlaygroundResult:
    """What the result panel shows of one call; the same for a whole answer and a streamed one."""

    id: str
    mode: str
    prompt_html: SafeString
    processed_html: SafeString
    sent_unchanged: int  # detect mode: identifiers that reached the model as they were typed
    answer_html: SafeString = field(default_factory=lambda: SafeString(""))
    outcome: str = "success"
    usage: dict[str, int] = field(default_factory=dict)
    latency_ms: float = 0.0
    phi_rows: list[dict[str, Any]] = field(default_factory=list)

    @property
    def mode_label(self) -> str:
        return "de-identify" if self.mode == "deidentify" else self.mode


def _rows(counts: dict[str, dict[str, int]]) -> list[dict[str, Any]]:
    prompt, response = counts.get("prompt", {}), counts.get("response", {})
    return [
        {"type": kind, "prompt": prompt.get(kind, 0), "response": response.get(kind, 0)}
        for kind in sorted({*prompt, *response})
    ]


def _prompt_part(
    *, id: str, mode: str, prompt: str, entities: tuple[Entity, ...], processed: str, spans: tuple[tuple[int, int], ...]
) -> PlaygroundResult:
    return PlaygroundResult(
        id=id,
        mode=mode,
        prompt_html=marked(prompt, entities),
        processed_html=marked(processed, entities, spans),
        sent_unchanged=len(entities) if mode == "detect" else 0,
    )


def whole_result(prompt: str, inference: gateway.Inference) -> PlaygroundResult:
    result = _prompt_part(
        id=inference.id, mode=inference.mode, prompt=prompt, entities=inference.prompt_entities,
        processed=inference.processed_prompt, spans=inference.processed_spans,
    )  # fmt: skip
    result.answer_html = marked(inference.text, inference.response_entities, inference.response_spans)
    result.usage, result.latency_ms = inference.usage, inference.latency_ms
    result.phi_rows = _rows(inference.phi_counts)
    return result


def _refusal(exc: gateway.GatewayRefused) -> dict[str, Any]:
    return {"code": exc.code, "message": str(exc), "types": exc.extra.get("entity_types", [])}


def _call(form: PlaygroundForm) -> gateway.GenerateRequest:
    data = form.cleaned_data
    return gateway.GenerateRequest(
        prompt=data["prompt"], max_tokens=data["max_tokens"], temperature=data["temperature"],
        phi_handling=data["phi_handling"],
    )  # fmt: skip


@login_required
@never_cache
@require_GET
def playground_index(request: HttpRequest) -> HttpResponse:
    """The sidebar's way in: the ready deployments the member may prompt, each a link to its playground."""
    actor = member_actor(request)
    if not may_somewhere(actor, "text:generate"):
        raise PermissionDenied("text:generate")
    rows = deployment_rows(actor=actor).filter(state=State.READY).order_by("name")
    usable = [d for d in rows if is_allowed(actor, "text:generate", d.resource)]
    return render(request, "deployments/playground_index.html", {"deployments": usable})


@login_required
@never_cache
@require_POST
def deployment_playground(request: HttpRequest, deployment_id: str) -> HttpResponse:
    """Send one prompt and answer when the model is done: the form post without JavaScript (and htmx)."""
    actor = member_actor(request)
    deployment = access_deployment(actor=actor, deployment_id=deployment_id, permission="text:generate")
    form = PlaygroundForm.for_deployment(deployment, request.POST)
    context: dict[str, Any] = {}
    if form.is_valid():
        try:
            inference = gateway.generate(actor=actor, deployment_id=deployment.public_id, request=_call(form))
        except FieldError as exc:
            show_field_error(form, exc, FIELD_FOR_ERROR)
        except gateway.GatewayRefused as exc:
            context["refusal"] = _refusal(exc)
        else:
            context["result"] = whole_result(form.cleaned_data["prompt"], inference)
    context["playground_form"] = form
    if getattr(request, "htmx", False):
        response = render(request, "deployments/_playground_result.html", {"deployment": deployment, **context})
        response["HX-Trigger"] = "inference-recorded"  # the recent-inferences table reloads itself
        return response
    # Without htmx the whole page the playground lives on comes back; the prompt box stays empty (never echoed).
    return render(request, "deployments/detail.html", detail_context(actor, deployment, **context))


@login_required
@never_cache
@require_POST
def deployment_playground_stream(request: HttpRequest, deployment_id: str) -> HttpResponse | StreamingHttpResponse:
    """The playground's answer as server-sent events for `playground.js`, as the gateway releases it:
    `prompt` (the marked prompt and what the model received), `delta` {text}, then `done` or `error` (the
    rendered result panel). A form error or a refusal before the model is the rendered panel with its status.
    The session authenticates it and the CSRF middleware checks its token like any console form."""
    actor = member_actor(request)
    deployment = access_deployment(actor=actor, deployment_id=deployment_id, permission="text:generate")
    form = PlaygroundForm.for_deployment(deployment, request.POST)
    context: dict[str, Any] = {"deployment": deployment, "playground_form": form}
    status = 400
    if form.is_valid():
        try:
            stream = generate_stream(actor=actor, deployment_id=deployment.public_id, request=_call(form))
        except FieldError as exc:
            show_field_error(form, exc, FIELD_FOR_ERROR)
        except gateway.GatewayRefused as exc:
            context["refusal"], status = _refusal(exc), exc.status
        else:
            events = partial(_events, prompt=form.cleaned_data["prompt"], context=context)
            streamed = StreamingHttpResponse(EventStream(stream, events), content_type="text/event-stream")
            streamed["Cache-Control"] = "no-store"
            streamed["X-Accel-Buffering"] = "no"  # a proxy must pass each piece on as it comes
            return streamed
    panel = render(request, "deployments/_playground_result.html", context, status=status)
    panel["X-Playground"] = "panel"  # the script shows it as the result (a bare 403 page is not one)
    return panel


def _events(stream: InferenceStream, *, prompt: str, context: dict[str, Any]) -> Events:
    last = stream.call.prompts[-1]
    result = _prompt_part(id=stream.id, mode=stream.mode, prompt=prompt, entities=last.entities,
                          processed=last.text, spans=last.spans)  # fmt: skip
    yield sse({"html": render_to_string("deployments/_playground_prompt.html", {**context, "result": result})},
              "prompt")  # fmt: skip
    released: list[str] = []
    pieces = iter(stream)
    try:
        for text in pieces:
            released.append(text)
            yield sse({"text": text}, "delta")
    except gateway.GatewayRefused as exc:  # the runtime or the PHI engine failed part-way: what was shown stays
        result.outcome = "error"
        context["refusal"] = _refusal(exc)
    finally:
        close = getattr(pieces, "close", None)
        if close is not None:
            close()  # the client went away (Stop): the gateway audits the call as cancelled
    window = stream.window
    result.answer_html = marked("".join(released), tuple(window.entities), tuple(window.spans))
    result.usage, result.phi_rows = stream.usage, _rows(stream.phi_counts)
    result.latency_ms = round((time.perf_counter() - stream.call.started) * 1000, 1)
    html = render_to_string("deployments/_playground_result.html", {**context, "result": result})
    yield sse({"html": html, "status": _summary(result)}, "error" if result.outcome == "error" else "done")


def _summary(result: PlaygroundResult) -> str:
    if result.outcome == "error":
        return "The answer stopped part-way; see the message below."
    return f"Answer complete: {result.mode_label} mode, {result.latency_ms:.0f} ms."
