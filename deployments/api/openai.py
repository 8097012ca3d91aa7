"""OpenAI-compatible API under `/v1/`: `POST /v1/chat/completions` (whole or streamed) and `GET /v1/models`.

The official `openai` clients (and what builds on them) work unchanged with `base_url=<host>/v1` and one of our
API keys as the key. Each call runs the native gateway's pipeline (`deployments.gateway.prepare`: policy,
compliance gate, PHI engine on every turn, audit), so nothing here decides anything about PHI. Errors keep their
HTTP status and take OpenAI's shape `{"error": {"message", "type", "param", "code"}}`. Our extensions travel in
the body (the clients' `extra_body`): `phi_handling`, `subject_id`; the answer carries a `phi` member with the
mode and the counts (types and numbers, never values).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import partial
from typing import Any

from django.http import StreamingHttpResponse
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accessctl.actor import Actor
from accessctl.permissions import request_actor
from accessctl.policy import is_allowed
from core.api.errors import problem_exception_handler
from core.errors import FieldError
from deployments.api.events import Events, event_stream_response, sse
from deployments.gateway import MAX_TOKENS_LIMIT, GatewayRefused, GenerateRequest, generate
from deployments.models import Deployment, State
from deployments.providers import ChatMessage
from deployments.selectors import deployment_rows
from deployments.streaming import InferenceStream, generate_stream

ROLES = {"system": "system", "developer": "system", "user": "user", "assistant": "assistant"}
ERROR_TYPES = {401: "authentication_error", 403: "permission_error", 404: "invalid_request_error",
               429: "rate_limit_error"}  # fmt: skip


def openai_error(status: int, message: str, *, param: str | None = None, code: str | None = None) -> dict[str, Any]:
    kind = ERROR_TYPES.get(status) or ("server_error" if status >= 500 else "invalid_request_error")
    return {"error": {"message": message, "type": kind, "param": param, "code": code}}


def openai_exception_handler(exc: Exception, context: dict[str, Any]) -> Response:
    """The native problem answer (status, audit, safe text), re-shaped as OpenAI's error object."""
    if isinstance(exc, ModelNotFound):
        return Response(openai_error(404, str(exc), param="model", code="model_not_found"), status=404)
    response = problem_exception_handler(exc, context)
    body = response.data if isinstance(response.data, dict) else {}
    errors: dict[str, list[str]] = body.get("errors") or {}
    param = next(iter(sorted(errors)), None)
    message = str(body.get("detail") or "")
    if param and errors[param]:
        message = f"{message} {param}: {' '.join(errors[param])}"
    code = str(body.get("type", "")).rsplit("/", 1)[-1] or None
    extra = {k: v for k, v in body.items() if k not in {"type", "title", "status", "detail", "errors"}}
    payload = openai_error(response.status_code, message, param=param, code=code)
    payload["error"].update(extra)  # e.g. entity_types of a phi-rejected call
    response.data = payload
    response.content_type = "application/json"
    return response


class ModelNotFound(Exception):
    """No deployment by that id or name that the caller may use."""


class OpenAIView(APIView):
    def get_exception_handler(self) -> Callable[[Exception, dict[str, Any]], Response]:
        return openai_exception_handler


def usable_deployments(actor: Actor) -> list[Deployment]:
    """The ready deployments the actor (a key's role, a user's roles) may send prompts to."""
    rows = deployment_rows(actor=actor).filter(state=State.READY).order_by("name")
    return [d for d in rows if is_allowed(actor, "text:generate", d.resource)]


def resolve_model(actor: Actor, model: str) -> str:
    """The public id of the deployment named by `model` (a deployment id or name) in the actor's organisation."""
    rows = deployment_rows(actor=actor)
    match = rows.filter(public_id=model).first() or rows.filter(name=model).order_by("-created_at").first()
    if match is None:
        raise ModelNotFound(f"The model '{model[:80]}' does not exist or you do not have access to it.")
    return match.public_id


def _model_entry(deployment: Deployment) -> dict[str, Any]:
    return {"id": deployment.name, "object": "model", "created": int(deployment.created_at.timestamp()),
            "owned_by": deployment.organization.slug, "deployment_id": deployment.public_id,
            "base_model": deployment.model.name}  # fmt: skip


class ModelsView(OpenAIView):
    @extend_schema(exclude=True)
    def get(self, request: Request) -> Response:
        deployments = usable_deployments(request_actor(request))
        return Response({"object": "list", "data": [_model_entry(d) for d in deployments]})


class ModelView(OpenAIView):
    @extend_schema(exclude=True)
    def get(self, request: Request, model: str) -> Response:
        actor = request_actor(request)
        for deployment in usable_deployments(actor):
            if model in (deployment.name, deployment.public_id):
                return Response(_model_entry(deployment))
        raise ModelNotFound(f"The model '{model[:80]}' does not exist or you do not have access to it.")


class ChatCompletionSerializer(serializers.Serializer[Any]):
    """OpenAI's request body; parameters we do not act on (top_p, seed, ...) are ignored, like other gateways."""

    model = serializers.CharField(max_length=200)
    messages = serializers.ListField(child=serializers.DictField(), min_length=1, max_length=500)
    max_tokens = serializers.IntegerField(required=False, min_value=1, max_value=MAX_TOKENS_LIMIT, allow_null=True)
    max_completion_tokens = serializers.IntegerField(required=False, min_value=1, max_value=MAX_TOKENS_LIMIT,
                                                     allow_null=True)  # fmt: skip
    temperature = serializers.FloatField(required=False, min_value=0.0, max_value=2.0, allow_null=True)
    stream = serializers.BooleanField(required=False, default=False, allow_null=True)
    stream_options = serializers.DictField(required=False, allow_null=True)
    n = serializers.IntegerField(required=False, min_value=1, max_value=1, allow_null=True)
    user = serializers.CharField(required=False, max_length=200, allow_blank=True)
    phi_handling = serializers.CharField(required=False, max_length=20, help_text="detect|redact|reject|de-identify")
    subject_id = serializers.CharField(required=False, max_length=200)
    reidentify = serializers.BooleanField(required=False, default=False)
    conversation_id = serializers.CharField(required=False, max_length=100)


def _text_of(content: Any, index: int) -> str:
    """A message's text: a string, or a list of text parts (what newer clients send)."""
    if isinstance(content, str):
        return content
    if isinstance(content, list) and all(isinstance(p, dict) and p.get("type") == "text" for p in content):
        return "".join(str(p.get("text") or "") for p in content)
    raise FieldError(f"messages.{index}.content", "Only text content is supported.")


def conversation(messages: list[dict[str, Any]]) -> tuple[ChatMessage, ...]:
    turns = []
    for index, message in enumerate(messages):
        role = ROLES.get(str(message.get("role")))
        if role is None:
            raise FieldError(f"messages.{index}.role", "Choose system, user or assistant.")
        turns.append(ChatMessage(role, _text_of(message.get("content"), index)))
    return tuple(turns)


class ChatCompletionsView(OpenAIView):
    @extend_schema(exclude=True)
    def post(self, request: Request) -> Response | StreamingHttpResponse:
        body = ChatCompletionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        actor = request_actor(request)
        max_tokens = data.get("max_completion_tokens") or data.get("max_tokens") or 256
        temperature = data.get("temperature")
        call = GenerateRequest(
            messages=conversation(data["messages"]), max_tokens=max_tokens,
            temperature=0.7 if temperature is None else temperature,
            phi_handling=data.get("phi_handling"), subject_id=data.get("subject_id"),
            reidentify=data["reidentify"], conversation_id=data.get("conversation_id"),
        )  # fmt: skip
        deployment_id = resolve_model(actor, data["model"])
        if data.get("stream"):
            stream = generate_stream(actor=actor, deployment_id=deployment_id, request=call)
            usage = bool((data.get("stream_options") or {}).get("include_usage"))
            return event_stream_response(stream, partial(sse_events, include_usage=usage))
        inference = generate(actor=actor, deployment_id=deployment_id, request=call)
        return Response({
            "id": f"chatcmpl-{inference.id}", "object": "chat.completion", "created": int(time.time()),
            "model": inference.deployment.name,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": inference.text},
                         "finish_reason": inference.finish_reason, "logprobs": None}],
            "usage": inference.usage,
            "phi": {"mode": inference.mode, "counts": inference.phi_counts, "reidentified": inference.reidentified},
        })  # fmt: skip


def sse_events(stream: InferenceStream, *, include_usage: bool) -> Events:
    """OpenAI's chunk stream: the role, the released text, the finish reason, optionally usage, `[DONE]`.
    Closing this generator (the client went away) closes `stream`, which audits the call as cancelled."""
    created = int(time.time())
    head = {"id": f"chatcmpl-{stream.id}", "object": "chat.completion.chunk", "created": created,
            "model": stream.deployment.name}  # fmt: skip

    def chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
        return sse({**head, "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}]})

    pieces = iter(stream)
    try:
        yield chunk({"role": "assistant", "content": ""})
        for text in pieces:
            yield chunk({"content": text})
    except GatewayRefused as exc:  # the status line is long gone: OpenAI sends the error as an event
        yield sse(openai_error(exc.status, str(exc), code=exc.code))
        return
    finally:
        close = getattr(pieces, "close", None)
        if close is not None:
            close()
    yield chunk({}, stream.finish_reason)
    if include_usage:
        yield sse({**head, "choices": [], "usage": stream.usage,
                      "phi": {"mode": stream.mode, "counts": stream.phi_counts}})  # fmt: skip
    yield b"data: [DONE]\n\n"
