"""REST: `POST /api/v1/disclosures/search` (a page of JSON) and `POST /api/v1/disclosures/export` (CSV or
PDF), both `disclosure:read`. Identifiers travel in the JSON body only, never in a URL."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accessctl.permissions import request_actor, require
from accessctl.policy import organization_resource
from core.api.serializers import StrictSerializer
from disclosures.identifiers import KINDS
from disclosures.render import render_csv, render_pdf, row
from disclosures.services import PERMISSION, DisclosureQuery, disclosure_search

MAX_PAGE_SIZE = 500


class DisclosureQuerySerializer(StrictSerializer):
    name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="",
                                 help_text="with date_of_birth; any order, case or accents")  # fmt: skip
    date_of_birth = serializers.CharField(max_length=40, required=False, allow_blank=True, default="",
                                          help_text="YYYY-MM-DD or MM/DD/YYYY")  # fmt: skip
    mrn = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    ssn = serializers.CharField(max_length=32, required=False, allow_blank=True, default="")
    phone = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    email = serializers.CharField(max_length=254, required=False, allow_blank=True, default="")

    def query(self) -> DisclosureQuery:
        data = self.validated_data
        return DisclosureQuery(**{f: data[f] for f in ("name", "date_of_birth", "mrn", "ssn", "phone", "email")})


class DisclosureSearchSerializer(DisclosureQuerySerializer):
    page = serializers.IntegerField(min_value=1, default=1)
    page_size = serializers.IntegerField(min_value=1, max_value=MAX_PAGE_SIZE, default=100)


class DisclosureExportSerializer(DisclosureQuerySerializer):
    format = serializers.ChoiceField(choices=["csv", "pdf"], default="csv")


class DisclosureSerializer(serializers.Serializer[Any]):
    id = serializers.CharField()
    kind = serializers.ChoiceField(choices=["inference", "scan"])
    reference = serializers.CharField(help_text="the inference id (inf_…) or the scan id (scan_…)")
    occurred_at = serializers.DateTimeField()
    deployment_id = serializers.CharField()
    deployment_name = serializers.CharField()
    provider = serializers.CharField()
    recipient = serializers.CharField(help_text="the business associate the text went to; empty for a scan")
    user_id = serializers.CharField()
    api_key_id = serializers.CharField()
    mode = serializers.CharField()
    redacted = serializers.BooleanField(allow_null=True, help_text="identifiers removed before leaving; null: scan")
    matched = serializers.ListField(child=serializers.ChoiceField(choices=list(KINDS)))


class DisclosureSearchView(APIView):
    @extend_schema(
        request=DisclosureSearchSerializer,
        responses=inline_serializer(
            "DisclosureSearchPage",
            {
                "count": serializers.IntegerField(),
                "page": serializers.IntegerField(),
                "next_page": serializers.IntegerField(allow_null=True),
                "searched": serializers.ListField(child=serializers.CharField()),
                "results": DisclosureSerializer(many=True),
            },
        ),
        summary="Every inference and scan that involved a patient's identifiers (audited)",
    )
    def post(self, request: Request) -> Response:
        actor = request_actor(request)
        require(actor, PERMISSION, organization_resource(actor))  # before reading the body: no hints to outsiders
        body = DisclosureSearchSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        accounting = disclosure_search(actor=actor, query=body.query())
        page, size = body.validated_data["page"], body.validated_data["page_size"]
        shown = accounting.matches[(page - 1) * size : page * size]
        return Response(
            {
                "count": len(accounting.matches),
                "page": page,
                "next_page": page + 1 if page * size < len(accounting.matches) else None,
                "searched": list(accounting.searched_kinds),
                "results": DisclosureSerializer([row(m) for m in shown], many=True).data,
            }
        )


class DisclosureExportView(APIView):
    @extend_schema(
        request=DisclosureExportSerializer,
        responses={(200, "text/csv"): OpenApiTypes.BINARY, (200, "application/pdf"): OpenApiTypes.BINARY},
        summary="The accounting of disclosures a patient receives, as CSV or PDF (audited)",
    )
    def post(self, request: Request) -> HttpResponse:
        actor = request_actor(request)
        require(actor, PERMISSION, organization_resource(actor))
        body = DisclosureExportSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        fmt = body.validated_data["format"]
        return export_response(actor, body.query(), fmt)


def export_response(actor: Any, query: DisclosureQuery, fmt: str) -> HttpResponse:
    """The CSV or PDF download (REST and console)."""
    accounting = disclosure_search(actor=actor, query=query, export=fmt)
    if fmt == "pdf":
        response = HttpResponse(render_pdf(accounting, actor=actor), content_type="application/pdf")
    else:
        response = HttpResponse(render_csv(accounting), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="accounting-of-disclosures.{fmt}"'
    response["Cache-Control"] = "no-store"
    return response
