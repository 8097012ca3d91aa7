"""REST: `/api/v1/siem/destinations` (read `audit:read`, change `audit:manage`) and `/api/v1/siem/ocsf`, the
organisation's sequenced audit events as OCSF JSON lines for a SIEM that pulls (`audit:export`)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.db import transaction
from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accessctl.permissions import request_actor, require
from accessctl.policy import organization_resource
from audit.models import AuditEvent, ChainHead
from audit.services import record
from core.api.schema import list_envelope
from core.api.serializers import StrictSerializer
from siem import services
from siem.models import DestinationKind, SiemDestination
from siem.ocsf import to_line, to_ocsf
from siem.validation import MAX_BATCH, DestinationInput, destination_errors

MAX_PULL = 10_000


class DestinationSerializer(serializers.Serializer[Any]):
    """What is shown of a destination: never the token (only whether one is set)."""

    id = serializers.CharField()
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=DestinationKind.values)
    url = serializers.CharField(allow_null=True)
    host = serializers.CharField(allow_null=True)
    port = serializers.IntegerField(allow_null=True)
    has_token = serializers.BooleanField()
    has_ca = serializers.BooleanField()
    batch_size = serializers.IntegerField()
    enabled = serializers.BooleanField()
    cursor_seq = serializers.IntegerField(help_text="the last sequence number the collector acknowledged")
    behind = serializers.IntegerField(help_text="sequenced events not yet acknowledged")
    delivered = serializers.IntegerField()
    consecutive_failures = serializers.IntegerField()
    next_attempt_at = serializers.DateTimeField(allow_null=True)
    last_attempt_at = serializers.DateTimeField(allow_null=True)
    last_success_at = serializers.DateTimeField(allow_null=True)
    last_error = serializers.CharField(allow_null=True)
    created_at = serializers.DateTimeField()


class DestinationWriteSerializer(StrictSerializer):
    # Lengths, ranges and choices are checked in `validate` (siem/validation.py) so that every problem is named at
    # once; a field-level refusal here would stop DRF before it.
    name = serializers.CharField(allow_blank=True)
    kind = serializers.CharField()
    url = serializers.CharField(required=False, default="", allow_blank=True)
    host = serializers.CharField(required=False, default="", allow_blank=True)
    port = serializers.IntegerField(required=False, allow_null=True, default=None)
    token = serializers.CharField(max_length=4096, required=False, allow_blank=True, write_only=True,
                                  help_text="HTTPS: the collector's bearer token; sealed, never shown again; "
                                            "leave out on an update to keep it")  # fmt: skip
    ca_pem = serializers.CharField(max_length=65536, required=False, default="", allow_blank=True)
    batch_size = serializers.IntegerField(required=False, default=500, help_text=f"1 to {MAX_BATCH}")
    enabled = serializers.BooleanField(required=False, default=True)
    start = serializers.ChoiceField(
        choices=["beginning", "now"], required=False, default="beginning",
        help_text="on creation: send retained events from the first, or only new ones",
    )  # fmt: skip

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        data = _input(attrs)
        current: SiemDestination | None = self.context.get("current")
        errors = destination_errors(data, creating=current is None, has_token=bool(current and current.has_token))
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


def _input(attrs: dict[str, Any]) -> DestinationInput:
    return DestinationInput(name=attrs["name"], kind=attrs["kind"], url=attrs.get("url", ""),
                            host=attrs.get("host", ""), port=attrs.get("port"), token=attrs.get("token") or None,
                            ca_pem=attrs.get("ca_pem", ""), batch_size=attrs.get("batch_size", 500),
                            enabled=attrs.get("enabled", True))  # fmt: skip


def _chain_size(request: Request) -> int:
    head = ChainHead.objects.filter(chain=request_actor(request).organization.public_id).first()
    return head.size if head else 0


def _shown(request: Request, destination: SiemDestination) -> dict[str, Any]:
    return services.destination_summary(destination, chain_size=_chain_size(request))


class DestinationListView(APIView):
    @extend_schema(responses=list_envelope("SiemDestinationList", DestinationSerializer(many=True)),
                   operation_id="siem_destinations_list", summary="SIEM destinations of your organisation")  # fmt: skip
    def get(self, request: Request) -> Response:
        size = _chain_size(request)
        rows = services.destination_list(actor=request_actor(request))
        return Response({"results": [services.destination_summary(d, chain_size=size) for d in rows], "next": None})

    @extend_schema(request=DestinationWriteSerializer, responses={201: DestinationSerializer},
                   summary="Add a SIEM destination (HTTPS collector or syslog over TLS)")  # fmt: skip
    def post(self, request: Request) -> Response:
        actor = request_actor(request)
        require(actor, "audit:manage", organization_resource(actor))
        body = DestinationWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        created = services.destination_create(actor=actor, data=_input(body.validated_data),
                                              start=body.validated_data["start"])  # fmt: skip
        return Response(_shown(request, created), status=status.HTTP_201_CREATED)


class DestinationDetailView(APIView):
    @extend_schema(responses=DestinationSerializer, summary="A SIEM destination and its delivery progress")
    def get(self, request: Request, destination_id: str) -> Response:
        found = services.access_destination(request_actor(request), destination_id, "audit:read")
        return Response(_shown(request, found))

    @extend_schema(request=DestinationWriteSerializer, responses=DestinationSerializer,
                   summary="Change a SIEM destination (leave `token` out to keep it)")  # fmt: skip
    def put(self, request: Request, destination_id: str) -> Response:
        actor = request_actor(request)
        found = services.access_destination(actor, destination_id, "audit:manage")
        body = DestinationWriteSerializer(data=request.data, context={"current": found})
        body.is_valid(raise_exception=True)
        updated = services.destination_update(actor=actor, destination=found, data=_input(body.validated_data))
        return Response(_shown(request, updated))

    @extend_schema(request=None, responses={204: None}, summary="Remove a SIEM destination")
    def delete(self, request: Request, destination_id: str) -> Response:
        actor = request_actor(request)
        found = services.access_destination(actor, destination_id, "audit:manage")
        services.destination_delete(actor=actor, destination=found)
        return Response(status=status.HTTP_204_NO_CONTENT)


def _ocsf_lines(chain: str, after: int, limit: int) -> Iterator[bytes]:
    events = AuditEvent.objects.filter(chain=chain, seq__gt=after, seq__lte=after + limit).order_by("seq")
    for event in events.iterator(chunk_size=1000):
        yield to_line(to_ocsf(event))


class OcsfQuerySerializer(StrictSerializer):
    after_seq = serializers.IntegerField(
        required=False,
        default=0,
        min_value=0,
        max_value=2**62,
        help_text="resume after this sequence number (0: from the start)",
    )
    limit = serializers.IntegerField(required=False, default=1000, min_value=1, max_value=MAX_PULL,
                                     help_text="at most this many events")  # fmt: skip


class OcsfExportView(APIView):
    @extend_schema(
        parameters=[OcsfQuerySerializer],
        responses={(200, "application/x-ndjson"): OpenApiTypes.STR},
        summary="Sequenced audit events as OCSF JSON lines, oldest first",
    )
    def get(self, request: Request) -> StreamingHttpResponse:
        actor = request_actor(request)
        require(actor, "audit:export", organization_resource(actor))
        query = OcsfQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        after, limit = query.validated_data["after_seq"], query.validated_data["limit"]
        with transaction.atomic():
            record(actor=actor, event_type="audit.exported", resource=f"audit/{actor.organization.public_id}",
                   details={"format": "ocsf", "after_seq": after, "limit": limit})  # fmt: skip
        return StreamingHttpResponse(_ocsf_lines(actor.organization.public_id, after, limit),
                                     content_type="application/x-ndjson")  # fmt: skip
