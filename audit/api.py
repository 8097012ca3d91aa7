"""REST: query the audit log (`audit:read`), export a verifiable bundle (`audit:export`)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accessctl.permissions import request_actor, require
from accessctl.policy import organization_resource
from audit.export import export_bundle
from audit.models import AuditEvent, Checkpoint, Outcome
from audit.proofs import consistency, event_inclusion
from audit.selectors import AuditFilters, audit_event_list
from core.api.schema import list_envelope


class AuditEventSerializer(serializers.ModelSerializer[AuditEvent]):
    id = serializers.CharField(source="event_id", read_only=True)
    deployment_id = serializers.SerializerMethodField()
    sequenced = serializers.SerializerMethodField()
    details = serializers.DictField(read_only=True, help_text="Types, counts, ids and hashes; never PHI values")

    class Meta:
        model = AuditEvent
        fields = [
            "id", "seq", "sequenced", "timestamp", "event_type", "outcome", "user_id", "api_key_id", "actor_type",
            "actor_id", "ip", "user_agent", "request_id", "resource", "resource_id", "deployment_id", "details",
            "leaf_hash", "prev_hash", "hash",
        ]  # fmt: skip

    def get_deployment_id(self, event: AuditEvent) -> str | None:
        return event.resource_id if event.resource.startswith("deployment/") and event.resource_id else None

    def get_sequenced(self, event: AuditEvent) -> bool:
        return event.seq is not None


class EventTypeListField(serializers.ListField):
    """`event_type=a&event_type=b` or `event_type=a,b`."""

    def get_value(self, dictionary: Any) -> Any:
        if hasattr(dictionary, "getlist") and self.field_name in dictionary:
            values = [part.strip() for raw in dictionary.getlist(self.field_name) for part in raw.split(",")]
            return [value for value in values if value]
        return serializers.empty


class AuditQuerySerializer(serializers.Serializer[AuditFilters]):
    start_time = serializers.DateTimeField(required=False, help_text="ISO 8601, inclusive; `Z` accepted")
    end_time = serializers.DateTimeField(required=False, help_text="ISO 8601, inclusive")
    deployment_id = serializers.RegexField(r"^dep_[A-Za-z0-9]{3,60}$", required=False)
    event_type = EventTypeListField(
        child=serializers.RegexField(r"^[a-z0-9_]+(\.[a-z0-9_]+)*$", max_length=80), required=False, max_length=50
    )
    user_id = serializers.RegexField(r"^user_[A-Za-z0-9]{3,40}$", required=False)
    outcome = serializers.ChoiceField(choices=Outcome.values, required=False)
    resource = serializers.CharField(required=False, max_length=200)

    def to_internal_value(self, data: Any) -> Any:
        # A form would read `?end_time=` as "not given"; an empty filter here is a client bug, and ignoring it
        # would quietly answer a wider query than was asked.
        if hasattr(data, "getlist"):
            given = [name for name, _ in self.fields.items() if name in data]
            empty = [name for name in given if not "".join(data.getlist(name)).strip(", ")]
            if empty:
                raise serializers.ValidationError({name: ["Give a value, or leave it out."] for name in empty})
        return super().to_internal_value(data)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        start, end = attrs.get("start_time"), attrs.get("end_time")
        if start and end and start > end:
            raise serializers.ValidationError({"end_time": ["end_time is before start_time."]})
        return attrs

    def to_filters(self) -> AuditFilters:
        data = self.validated_data
        return AuditFilters(
            start_time=data.get("start_time"),
            end_time=data.get("end_time"),
            deployment_id=data.get("deployment_id"),
            event_types=data.get("event_type", []),
            user_id=data.get("user_id"),
            outcome=data.get("outcome"),
            resource=data.get("resource"),
        )


@extend_schema(
    summary="Query the audit log",
    description="Events of the caller's organisation, newest first; unsequenced events have `seq` null.",
    parameters=[
        AuditQuerySerializer,
        OpenApiParameter(
            "event_type", OpenApiTypes.STR, many=True, explode=True, description="repeat or comma-separate"
        ),
    ],
)
class AuditLogListView(generics.ListAPIView[AuditEvent]):
    serializer_class = AuditEventSerializer

    def get_queryset(self) -> QuerySet[AuditEvent]:
        actor = request_actor(self.request)
        require(actor, "audit:read", organization_resource(actor))
        query = AuditQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return audit_event_list(actor=actor, filters=query.to_filters())


class AuditExportView(APIView):
    @extend_schema(
        summary="Export a verifiable bundle",
        description="A zip of events, signed checkpoints and public keys; check it with `python -m audit.verify`.",
        request=None,
        responses={(200, "application/zip"): OpenApiTypes.BINARY},
    )
    def post(self, request: Request) -> FileResponse:
        actor = request_actor(request)
        require(actor, "audit:export", organization_resource(actor))
        stream, filename = export_bundle(actor=actor)
        return FileResponse(stream, as_attachment=True, filename=filename, content_type="application/zip")


class CheckpointSerializer(serializers.Serializer[Any]):
    tree_size = serializers.IntegerField()
    root_hash = serializers.CharField()
    timestamp = serializers.CharField()
    key_id = serializers.CharField()
    signature = serializers.CharField()


class AuditCheckpointListView(APIView):
    @extend_schema(
        responses=list_envelope(
            "CheckpointList",
            CheckpointSerializer(many=True),
            public_keys=serializers.DictField(child=serializers.CharField(), help_text="key id: public key (PEM)"),
        ),
        summary="Signed tree heads of your log",
    )
    def get(self, request: Request) -> Response:
        actor = request_actor(request)
        require(actor, "audit:read", organization_resource(actor))
        rows = Checkpoint.objects.filter(chain=actor.organization.public_id).select_related("key")
        data = [
            {"tree_size": c.tree_size, "root_hash": c.root_hash, "timestamp": c.timestamp, "key_id": c.key.key_id,
             "signature": c.signature}
            for c in rows
        ]  # fmt: skip
        return Response({"results": data, "public_keys": {c.key.key_id: c.key.public_key_pem for c in rows}})


def _proof_int(request: Request, name: str) -> int:
    try:
        return int(request.query_params[name])
    except (KeyError, ValueError):
        raise serializers.ValidationError({name: ["Give a whole number."]}) from None


class AuditInclusionProofView(APIView):
    @extend_schema(
        parameters=[OpenApiParameter("tree_size", int, required=True)],
        responses=OpenApiTypes.OBJECT,
        summary="RFC 9162 inclusion proof of one event in the tree of a given size",
    )
    def get(self, request: Request, event_id: str) -> Response:
        actor = request_actor(request)
        require(actor, "audit:read", organization_resource(actor))
        proof = event_inclusion(
            chain=actor.organization.public_id, event_id=event_id, tree_size=_proof_int(request, "tree_size")
        )
        return Response(proof)


class AuditConsistencyProofView(APIView):
    @extend_schema(
        parameters=[OpenApiParameter("first", int, required=True), OpenApiParameter("second", int, required=True)],
        responses=OpenApiTypes.OBJECT,
        summary="RFC 9162 consistency proof between two tree sizes",
    )
    def get(self, request: Request) -> Response:
        actor = request_actor(request)
        require(actor, "audit:read", organization_resource(actor))
        proof = consistency(
            chain=actor.organization.public_id,
            first=_proof_int(request, "first"),
            second=_proof_int(request, "second"),
        )
        return Response(proof)
