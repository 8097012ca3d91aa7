"""REST: `POST /api/v1/deployments/{id}/generate` — the SDK's generate_text through the inference gateway, whole
or streamed (`stream: true`: server-sent events)."""

from __future__ import annotations

from typing import Any

from django.http import StreamingHttpResponse
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accessctl.permissions import request_actor
from core.api.serializers import StrictSerializer
from core.problems import problem
from deployments.api.events import Events, event_stream_response, sse
from deployments.gateway import MAX_PROMPT_CHARS, GatewayRefused, GenerateRequest, Inference, generate
from deployments.streaming import InferenceStream, generate_stream


class PhiSettingsSerializer(StrictSerializer):
    phi_detection = serializers.BooleanField(required=False)
    phi_redaction = serializers.BooleanField(required=False)
    phi_handling = serializers.CharField(required=False, max_length=20, help_text="detect|redact|reject|de-identify")
    subject_id = serializers.CharField(
        required=False, max_length=200, help_text="de-identify: one patient's dates shift by the same number of days"
    )
    reidentify = serializers.BooleanField(
        required=False, help_text="de-identify, with phi:reidentify: the answer with the original identifiers back"
    )
    conversation_id = serializers.CharField(
        required=False, max_length=100, help_text="de-identify: calls that share it share their re-identification maps"
    )


@extend_schema_field({"type": "string", "maxLength": MAX_PROMPT_CHARS})
class PromptField(serializers.CharField):
    """No length validator here: the gateway measures the prompt, and a prompt over the limit is a 413 naming
    it (PAITIENT_MAX_PROMPT_CHARS), not a 400 like a malformed one."""


class GenerateSerializer(StrictSerializer):
    prompt = PromptField(trim_whitespace=False)
    max_tokens = serializers.IntegerField(required=False, default=256, min_value=1, max_value=4096)
    temperature = serializers.FloatField(required=False, default=0.7, min_value=0.0, max_value=2.0)
    security_settings = PhiSettingsSerializer(required=False, default=dict)
    stream = serializers.BooleanField(
        required=False, default=False,
        help_text="answer as server-sent events: `delta` {text} as the answer passes the PHI hold-back window, then "
        "`done` {id, deployment_id, model, finish_reason, usage, phi: {mode, counts}} (or `error`, a problem document)",
    )  # fmt: skip


class EntitySerializer(serializers.Serializer[Any]):
    type = serializers.CharField()
    start = serializers.IntegerField()
    end = serializers.IntegerField()
    score = serializers.FloatField()
    recognizer = serializers.CharField(help_text="the PHI engine's recognizer that found it")
    evidence = serializers.CharField(help_text="why it is PHI, e.g. 'a title before it (Dr., Mrs.)'")


class InferenceSerializer(serializers.Serializer[Inference]):
    id = serializers.CharField()
    deployment_id = serializers.CharField(source="deployment.public_id")
    model = serializers.CharField(source="deployment.model.name")
    text = serializers.CharField()
    processed_prompt = serializers.CharField()
    phi = serializers.SerializerMethodField()
    usage = serializers.DictField(child=serializers.IntegerField())
    latency_ms = serializers.FloatField()
    finish_reason = serializers.CharField()

    @extend_schema(
        responses=inline_serializer(
            "InferencePhi",
            {
                "mode": serializers.CharField(),
                "entities": EntitySerializer(many=True),
                "response_entities": EntitySerializer(many=True),
                "counts": serializers.DictField(),
                "reidentified": serializers.BooleanField(),
            },
        )
    )
    def get_phi(self, inference: Inference) -> dict[str, Any]:
        return {
            "mode": "de-identify" if inference.mode == "deidentify" else inference.mode,
            "entities": [e.explain() for e in inference.prompt_entities],
            "response_entities": [e.explain() for e in inference.response_entities],
            "counts": inference.phi_counts,
            "reidentified": inference.reidentified,
        }


class GenerateView(APIView):
    @extend_schema(
        request=GenerateSerializer,
        responses={
            (200, "application/json"): InferenceSerializer,
            (200, "text/event-stream"): OpenApiResponse(
                response=inline_serializer(
                    "GenerateStreamEvent",
                    {
                        "event": serializers.CharField(help_text="delta, then done or error"),
                        "data": serializers.CharField(help_text="JSON: {text} for delta; the inference for done"),
                    },
                ),
                description="with `stream: true`: server-sent events `delta` ({text}), then `done` (the inference "
                "without its text) or `error`",
            ),
            409: OpenApiResponse(description="the deployment is not ready, or a compliance control is missing"),
            413: OpenApiResponse(description="the prompt is over PAITIENT_MAX_PROMPT_CHARS (`errors` names it)"),
            422: OpenApiResponse(description="reject mode: the prompt holds PHI (`entity_types` lists the types)"),
            503: OpenApiResponse(description="the runtime or the PHI engine is unavailable (fails closed)"),
        },
        summary="Generate text through the PHI-guarded gateway",
    )
    def post(self, request: Request, deployment_id: str) -> Response | StreamingHttpResponse:
        body = GenerateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        call = GenerateRequest(
            prompt=data["prompt"], max_tokens=data["max_tokens"], temperature=data["temperature"],
            **data["security_settings"],
        )  # fmt: skip
        if data["stream"]:
            stream = generate_stream(actor=request_actor(request), deployment_id=deployment_id, request=call)
            return event_stream_response(stream, native_events)
        inference = generate(actor=request_actor(request), deployment_id=deployment_id, request=call)
        return Response(InferenceSerializer(inference).data)


def native_events(stream: InferenceStream) -> Events:
    """`delta` events with the released text, then `done` with what the whole answer's envelope says (less the
    text and the entity positions), or an `error` problem document when the call failed part-way."""
    pieces = iter(stream)
    try:
        for text in pieces:
            yield sse({"text": text}, "delta")
    except GatewayRefused as exc:  # the status line is long gone
        yield sse({**problem(exc.status, str(exc), code=exc.code), **exc.extra}, "error")
        return
    finally:
        close = getattr(pieces, "close", None)
        if close is not None:
            close()
    mode = "de-identify" if stream.mode == "deidentify" else stream.mode
    yield sse({"id": stream.id, "deployment_id": stream.deployment.public_id, "model": stream.deployment.model.name,
               "finish_reason": stream.finish_reason, "usage": stream.usage,
               "phi": {"mode": mode, "counts": stream.phi_counts}}, "done")  # fmt: skip
