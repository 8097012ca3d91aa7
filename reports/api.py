"""REST: `/api/v1/reports` — request a compliance report (the SDK's generate_compliance_report), list, status
with progress and a short-lived signed `url`, and the download behind that link."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from django.db.models import QuerySet
from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.exceptions import APIException, PermissionDenied
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accessctl.permissions import request_actor
from core.api.serializers import StrictSerializer
from reports.models import ComplianceReport, OutputFormat, ReportStatus, ReportType, TimePeriod
from reports.selectors import access_report, report_list
from reports.services import (
    DOWNLOAD_TTL_SECONDS,
    DownloadLinkInvalid,
    ReportNotReady,
    download_token,
    report_download,
    report_request,
)


class ReportNotReadyConflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The report is not ready."
    default_code = "report-not-ready"


class ReportCreateSerializer(StrictSerializer):
    report_type = serializers.ChoiceField(choices=ReportType.values, default=ReportType.HIPAA)
    time_period = serializers.ChoiceField(choices=TimePeriod.values, default=TimePeriod.LAST_30_DAYS)
    include_sections = serializers.ListField(
        child=serializers.CharField(max_length=64),
        required=False,
        allow_null=True,
        default=None,
        help_text="phi_access, security_events, authentication_events, user_activity, deployments "
        "(and sections other apps register); every registered section when left out",
    )
    output_format = serializers.ChoiceField(choices=OutputFormat.values, default=OutputFormat.PDF)
    start_date = serializers.CharField(
        max_length=40, required=False, allow_null=True, default=None, help_text="custom period: YYYY-MM-DD"
    )
    end_date = serializers.CharField(
        max_length=40, required=False, allow_null=True, default=None, help_text="custom period, included"
    )


def download_url(request: Request | Any, report: ComplianceReport) -> str | None:
    """The absolute, signed download link of a ready report (valid DOWNLOAD_TTL_SECONDS)."""
    if report.status != ReportStatus.READY:
        return None
    path = reverse("api-report-download", args=[report.public_id])
    url: str = request.build_absolute_uri(f"{path}?{urlencode({'token': download_token(report)})}")
    return url


class ComplianceReportSerializer(serializers.ModelSerializer[ComplianceReport]):
    id = serializers.CharField(source="public_id", read_only=True)
    include_sections = serializers.ListField(source="sections", child=serializers.CharField(), read_only=True)
    requested_by = serializers.SerializerMethodField()
    progress = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField(help_text="signed download link while the report is ready; expires")
    url_expires_at = serializers.SerializerMethodField()

    class Meta:
        model = ComplianceReport
        fields = [
            "id", "report_type", "time_period", "period_start", "period_end", "include_sections", "output_format",
            "status", "progress", "error", "sha256", "size_bytes", "figures", "requested_by", "created_at",
            "finished_at", "url", "url_expires_at",
        ]  # fmt: skip

    def get_requested_by(self, report: ComplianceReport) -> str | None:
        return report.requested_by.public_id if report.requested_by else None

    def get_progress(self, report: ComplianceReport) -> dict[str, Any]:
        return {"percent": report.progress_percent, "stage": report.progress_stage}

    def get_url(self, report: ComplianceReport) -> str | None:
        request = self.context.get("request")
        return download_url(request, report) if request is not None else None

    def get_url_expires_at(self, report: ComplianceReport) -> str | None:
        if report.status != ReportStatus.READY or self.context.get("request") is None:
            return None
        return (timezone.now() + timedelta(seconds=DOWNLOAD_TTL_SECONDS)).isoformat()


def _report(request: Request, report_id: str) -> ComplianceReport:
    return access_report(actor=request_actor(request), report_id=report_id)


class ReportListCreateView(generics.ListAPIView[ComplianceReport]):
    serializer_class = ComplianceReportSerializer

    def get_queryset(self) -> QuerySet[ComplianceReport]:
        return report_list(actor=request_actor(self.request))

    @extend_schema(summary="Compliance reports of your organisation, newest first")
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request=ReportCreateSerializer,
        responses={202: ComplianceReportSerializer},
        summary="Request a compliance report; a worker renders it (poll the report for progress and its url)",
    )
    def post(self, request: Request) -> Response:
        body = ReportCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        report = report_request(actor=request_actor(request), **body.validated_data)
        data = ComplianceReportSerializer(report, context={"request": request}).data
        return Response(data, status=status.HTTP_202_ACCEPTED)


class ReportDetailView(APIView):
    @extend_schema(responses=ComplianceReportSerializer, summary="A report: status, progress, and `url` when ready")
    def get(self, request: Request, report_id: str) -> Response:
        report = _report(request, report_id)
        return Response(ComplianceReportSerializer(report, context={"request": request}).data)


class _AnyAccept(BaseContentNegotiation):
    """The download is whatever the report is (PDF, JSON or CSV), whatever the client's Accept header says;
    errors stay problem documents."""

    def select_parser(self, request: Request, parsers: Any) -> Any:
        return parsers[0] if parsers else None

    def select_renderer(self, request: Request, renderers: Any, format_suffix: str | None = None) -> Any:
        renderer: BaseRenderer = renderers[0]
        return renderer, renderer.media_type


class ReportDownloadView(APIView):
    content_negotiation_class = _AnyAccept

    @extend_schema(
        parameters=[OpenApiParameter("token", str, required=True, description="from the report's `url`")],
        responses={
            (200, "application/pdf"): OpenApiTypes.BINARY,
            (200, "application/json"): OpenApiTypes.BINARY,
            (200, "text/csv"): OpenApiTypes.BINARY,
            409: OpenApiResponse(description="the report is not ready (queued, rendering or failed)"),
        },
        summary="Download a ready report through its signed link (also needs report:read; audited)",
    )
    def get(self, request: Request, report_id: str) -> HttpResponse:
        report = _report(request, report_id)
        try:
            return report_download(
                actor=request_actor(request), report=report, token=str(request.query_params.get("token", ""))
            )
        except ReportNotReady as exc:
            raise ReportNotReadyConflict(str(exc)) from None
        except DownloadLinkInvalid as exc:
            raise PermissionDenied(str(exc)) from None
