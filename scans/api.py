"""REST: `POST /api/v1/phi-scans` (multipart upload), status and findings, the redacted copy (`phi_scan:run`)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field, inline_serializer
from rest_framework import generics, serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accessctl.actor import Actor
from accessctl.permissions import request_actor, require
from accessctl.policy import organization_resource
from accessctl.tenancy import tenant_get
from scans.models import PhiScan, ScanFormat, ScanStatus
from scans.services import redacted_download, scan_start


class FindingSerializer(serializers.Serializer[Any]):
    document = serializers.CharField()
    start = serializers.IntegerField()
    end = serializers.IntegerField()
    type = serializers.CharField()
    score = serializers.FloatField()


class PhiScanSerializer(serializers.ModelSerializer[PhiScan]):
    id = serializers.CharField(source="public_id", read_only=True)
    findings = serializers.SerializerMethodField()

    class Meta:
        model = PhiScan
        fields = ["id", "format", "size_bytes", "status", "progress_percent", "documents", "counts", "findings",
                  "error", "created_at", "finished_at"]  # fmt: skip

    @extend_schema_field(FindingSerializer(many=True))
    def get_findings(self, scan: PhiScan) -> list[dict[str, object]]:
        if not self.context.get("with_findings") or scan.status != ScanStatus.DONE:
            return []
        found: list[dict[str, object]] = scan.findings["findings"]
        return found


def _allowed(request: Request) -> Actor:
    actor = request_actor(request)
    require(actor, "phi_scan:run", organization_resource(actor))
    return actor


def _scan(actor: Actor, scan_id: str) -> PhiScan:
    return tenant_get(PhiScan.objects.all(), actor, scan_id)


class PhiScanListCreateView(generics.ListAPIView[PhiScan]):
    serializer_class = PhiScanSerializer
    parser_classes = [MultiPartParser]

    def get_queryset(self) -> QuerySet[PhiScan]:
        return PhiScan.objects.filter(organization=_allowed(self.request).organization).defer("upload", "redacted")

    @extend_schema(
        request=inline_serializer(
            "PhiScanUpload",
            {"file": serializers.FileField(), "format": serializers.ChoiceField(ScanFormat.values, required=False)},
        ),
        responses={202: PhiScanSerializer},
        summary="Scan a file (text, JSONL or CSV) for PHI in a worker",
    )
    def post(self, request: Request) -> Response:
        actor = _allowed(request)
        upload = request.FILES.get("file")
        if upload is None:
            raise serializers.ValidationError({"file": ["Attach the file to scan."]})
        fmt = request.data.get("format")
        if fmt is not None and fmt not in ScanFormat.values:  # sent but empty is not "guess it from the name"
            raise serializers.ValidationError({"format": [f"Choose one of: {', '.join(ScanFormat.values)}."]})
        scan = scan_start(actor=actor, filename=upload.name or "", data=upload.read(), fmt=fmt)
        return Response(PhiScanSerializer(scan).data, status=status.HTTP_202_ACCEPTED)


class PhiScanDetailView(APIView):
    @extend_schema(responses=PhiScanSerializer, summary="Status, counts by type and positions (never values)")
    def get(self, request: Request, scan_id: str) -> Response:
        scan = _scan(_allowed(request), scan_id)
        return Response(PhiScanSerializer(scan, context={"with_findings": True}).data)


class PhiScanRedactedView(APIView):
    @extend_schema(responses={(200, "text/plain"): OpenApiTypes.STR}, summary="The redacted copy")
    def get(self, request: Request, scan_id: str) -> HttpResponse:
        scan = _scan(_allowed(request), scan_id)
        if scan.status != ScanStatus.DONE:
            raise NotFound("The scan has not finished.")
        return redacted_download(scan)
