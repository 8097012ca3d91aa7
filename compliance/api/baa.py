"""REST: `/api/v1/baas` — Business Associate Agreements, their signed documents and lifecycle actions."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import HttpResponse
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accessctl.permissions import request_actor, require
from accessctl.tenancy import tenant_get
from audit.services import record
from compliance.baa import ACTIONS, BaaSpec, baa_attach_document, baa_create, baa_transition
from compliance.models import BusinessAssociateAgreement
from core.api.serializers import StrictSerializer


class BaaSerializer(serializers.ModelSerializer[BusinessAssociateAgreement]):
    id = serializers.CharField(source="public_id", read_only=True)
    has_document = serializers.SerializerMethodField()
    history = serializers.SerializerMethodField()

    class Meta:
        model = BusinessAssociateAgreement
        fields = [
            "id", "counterparty", "business_associate", "counterparty_contact", "scope", "status", "effective_date",
            "expiry_date",
            "reminder_days", "signatory", "signed_at", "has_document", "document_name", "document_sha256",
            "document_size", "termination_reason", "created_at", "updated_at", "history",
        ]  # fmt: skip

    def get_has_document(self, baa: BusinessAssociateAgreement) -> bool:
        return bool(baa.document_sha256)

    def get_history(self, baa: BusinessAssociateAgreement) -> list[dict[str, Any]]:
        return [
            {"from": h.from_status, "to": h.to_status, "at": h.at.isoformat(), "note": h.note,
             "user_id": h.actor.public_id if h.actor else None}
            for h in baa.history.select_related("actor")
        ]  # fmt: skip


class BaaCreateSerializer(StrictSerializer):
    counterparty = serializers.CharField(max_length=200)
    business_associate = serializers.CharField(
        max_length=253, required=False, default="paitient",
        help_text="whom the agreement covers: aws, paitient (hosted runtime) or an external endpoint's host",
    )  # fmt: skip
    counterparty_contact = serializers.EmailField(required=False, allow_blank=True)
    scope = serializers.CharField(max_length=500, required=False, allow_blank=True)
    effective_date = serializers.DateField()
    expiry_date = serializers.DateField()
    reminder_days = serializers.IntegerField(required=False, default=30, min_value=1, max_value=365)


class BaaActionSerializer(StrictSerializer):
    action = serializers.ChoiceField(choices=list(ACTIONS))
    signatory = serializers.CharField(max_length=200, required=False, default="", allow_blank=True)
    reason = serializers.CharField(max_length=300, required=False, default="", allow_blank=True)
    expiry_date = serializers.DateField(required=False, default=None)


class DocumentUploadSerializer(serializers.Serializer[Any]):
    document = serializers.FileField()


def _access(request: Request, baa_id: str, permission: str) -> BusinessAssociateAgreement:
    return tenant_get(BusinessAssociateAgreement.objects.all(), request_actor(request), baa_id, permission)


class BaaListCreateView(generics.ListAPIView[BusinessAssociateAgreement]):
    serializer_class = BaaSerializer
    ordering = ("-created_at", "-id")

    def get_queryset(self) -> QuerySet[BusinessAssociateAgreement]:
        actor = request_actor(self.request)
        require(actor, "baa:read", "baa/*")
        return BusinessAssociateAgreement.objects.filter(organization=actor.organization).prefetch_related("history")

    @extend_schema(operation_id="baas_list", summary="The organisation's BAAs")
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(request=BaaCreateSerializer, responses={201: BaaSerializer}, summary="Record a BAA (draft)")
    def post(self, request: Request) -> Response:
        body = BaaCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        baa = baa_create(actor=request_actor(request), spec=BaaSpec(**body.validated_data))
        return Response(BaaSerializer(baa).data, status=status.HTTP_201_CREATED)


class BaaDetailView(APIView):
    @extend_schema(responses=BaaSerializer, summary="A BAA with its history")
    def get(self, request: Request, baa_id: str) -> Response:
        return Response(BaaSerializer(_access(request, baa_id, "baa:read")).data)


class BaaActionView(APIView):
    @extend_schema(request=BaaActionSerializer, responses=BaaSerializer,
                   summary="Move a BAA along draft → sent → signed → active; renew or terminate")  # fmt: skip
    def post(self, request: Request, baa_id: str) -> Response:
        baa = _access(request, baa_id, "baa:manage")
        body = BaaActionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        moved = baa_transition(actor=request_actor(request), baa=baa, **body.validated_data)
        return Response(BaaSerializer(moved).data)


class BaaDocumentView(APIView):
    parser_classes = [MultiPartParser]

    @extend_schema(request={"multipart/form-data": DocumentUploadSerializer}, responses=BaaSerializer,
                   summary="Upload the signed agreement (PDF, stored encrypted)")  # fmt: skip
    def put(self, request: Request, baa_id: str) -> Response:
        baa = _access(request, baa_id, "baa:manage")
        body = DocumentUploadSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        upload = body.validated_data["document"]
        baa_attach_document(actor=request_actor(request), baa=baa, name=upload.name, content=upload.read())
        baa.refresh_from_db()
        return Response(BaaSerializer(baa).data)

    @extend_schema(responses={(200, "application/pdf"): bytes}, summary="Download the signed agreement")
    def get(self, request: Request, baa_id: str) -> HttpResponse:
        baa = _access(request, baa_id, "baa:read")
        if not baa.document_sha256:
            raise NotFound("No document uploaded yet.")
        record(actor=request_actor(request), event_type="baa.document_downloaded", resource=baa.resource,
               resource_id=baa.public_id, details={"sha256": baa.document_sha256})  # fmt: skip
        response = HttpResponse(bytes(baa.document), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{baa.public_id}.pdf"'
        response["Cache-Control"] = "no-store"
        return response
