"""REST: `/api/v1/compliance/…` — the live HIPAA checklist, its history, and the evidence behind it."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import generics, serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accessctl.permissions import request_actor, require
from compliance.checklist import ITEMS, ItemResult, status_counts
from compliance.evidence import (
    DOCX,
    EvidenceSpec,
    access_evidence,
    evidence_add,
    evidence_file,
    evidence_for,
    evidence_revoke,
    is_current,
)
from compliance.history import checklist_evaluate
from compliance.models import ChecklistEvidence, ChecklistSnapshot, EvidenceKind
from compliance.soc2 import FRAMEWORKS, CriterionResult, evaluate_soc2
from core.api.pagination import CursorPagination
from core.api.serializers import StrictSerializer

EXTENSIONS = {"application/pdf": ".pdf", "image/png": ".png", "image/jpeg": ".jpg", "text/plain": ".txt"}
DOWNLOAD_TYPES = ("application/pdf", "image/png", "image/jpeg", DOCX, "text/plain; charset=utf-8")
MAX_HISTORY = 365


def evidence_document(evidence: ChecklistEvidence) -> dict[str, Any]:
    """What the API and pages show of evidence: metadata and the file's hash, never its contents."""
    file = (
        {
            "name": evidence.file_name,
            "type": evidence.file_type,
            "size": evidence.file_size,
            "sha256": evidence.file_sha256,
        }
        if evidence.has_file
        else None
    )
    return {
        "id": evidence.public_id,
        "item": evidence.item,
        "kind": evidence.kind,
        "title": evidence.title,
        "file": file,
        "link": evidence.link or None,
        "owner_id": evidence.owner.public_id if evidence.owner else None,
        "subject_user_id": evidence.subject_user.public_id if evidence.subject_user else None,
        "effective_date": evidence.effective_date.isoformat(),
        "expiry_date": evidence.expiry_date.isoformat() if evidence.expiry_date else None,
        "current": is_current(evidence),
        "revoked_at": evidence.revoked_at.isoformat() if evidence.revoked_at else None,
        "created_at": evidence.created_at.isoformat(),
    }


def item_document(key: str, result: ItemResult, evidence: list[ChecklistEvidence]) -> dict[str, Any]:
    item = ITEMS[key]
    return {
        "key": key,
        "title": item.title,
        "citations": [f"45 CFR {citation}" for citation in item.citations],
        "summary": item.summary,
        "status": result.status,
        "reasons": result.reasons,
        "facts": result.facts,
        "evidence_kinds": list(item.evidence_kinds),
        "evidence": [evidence_document(e) for e in evidence if e.item == key and e.revoked_at is None],
    }


class EvidenceCreateSerializer(StrictSerializer):
    item = serializers.ChoiceField(choices=list(ITEMS))
    kind = serializers.ChoiceField(choices=EvidenceKind.values)
    title = serializers.CharField(max_length=200)
    file = serializers.FileField(required=False)
    link = serializers.CharField(max_length=500, required=False, default="", allow_blank=True)
    owner_id = serializers.CharField(max_length=48, required=False, default="", allow_blank=True)
    subject_user_id = serializers.CharField(max_length=48, required=False, default="", allow_blank=True)
    effective_date = serializers.DateField(required=False, default=None)
    expiry_date = serializers.DateField(required=False, default=None)


EVIDENCE_SCHEMA = inline_serializer(
    "ChecklistEvidence",
    {
        "id": serializers.CharField(),
        "item": serializers.CharField(),
        "kind": serializers.CharField(),
        "title": serializers.CharField(),
        "file": serializers.DictField(allow_null=True),
        "link": serializers.CharField(allow_null=True),
        "owner_id": serializers.CharField(allow_null=True),
        "subject_user_id": serializers.CharField(allow_null=True),
        "effective_date": serializers.DateField(),
        "expiry_date": serializers.DateField(allow_null=True),
        "current": serializers.BooleanField(),
        "revoked_at": serializers.DateTimeField(allow_null=True),
        "created_at": serializers.DateTimeField(),
    },
)


def soc2_document(results: dict[str, CriterionResult]) -> dict[str, Any]:
    statuses = [r.status for r in results.values()]
    return {
        "framework": "soc2",
        "evaluated_at": timezone.now().isoformat(),
        "summary": {status: statuses.count(status) for status in ("pass", "fail", "expiring", "not_evaluated")},
        "criteria": [
            {
                "id": cid,
                "title": r.criterion.title,
                "summary": r.criterion.summary,
                "status": r.status,
                "reasons": r.reasons,
                "sources": [
                    {"source": s.source, "title": s.title, "status": s.result.status, "reasons": s.result.reasons,
                     "facts": s.result.facts}
                    for s in r.sources
                ],
            }
            for cid, r in results.items()
        ],
    }  # fmt: skip


class ChecklistView(APIView):
    @extend_schema(
        summary="The HIPAA checklist (or, with framework=soc2, the SOC 2 Trust Services Criteria) evaluated from "
        "live state, with citations, reasons and evidence",
        parameters=[OpenApiParameter("framework", str, enum=["hipaa", "soc2"], description="default hipaa")],
        responses=inline_serializer(
            "Checklist",
            {
                "framework": serializers.CharField(required=False, help_text="soc2 when asked for; absent for HIPAA"),
                "evaluated_at": serializers.CharField(),
                "summary": serializers.DictField(),
                "items": serializers.ListField(required=False, help_text="HIPAA: the ten items"),
                "criteria": serializers.ListField(required=False, help_text="SOC 2: the Trust Services Criteria"),
            },
        ),
    )
    def get(self, request: Request) -> Response:
        actor = request_actor(request)
        require(actor, "baa:read", "checklist/*")
        framework = request.query_params.get("framework", "hipaa")
        if framework not in FRAMEWORKS:
            raise ValidationError({"framework": [f"Choose one of: {', '.join(FRAMEWORKS)}."]})
        results = checklist_evaluate(actor=actor)
        if framework == "soc2":
            return Response(soc2_document(evaluate_soc2(actor.organization, checklist=results)))
        evidence = evidence_for(actor.organization.pk)
        return Response(
            {
                "evaluated_at": timezone.now().isoformat(),
                "summary": status_counts(results),
                "items": [item_document(key, result, evidence) for key, result in results.items()],
            }
        )


class HistoryPagination(CursorPagination):
    """Pages of snapshots; `limit` (1-365, default 30) names the page size, as it did before the list paged."""

    page_size = 30
    page_size_query_param = "limit"
    max_page_size = MAX_HISTORY


class HistoryRowSerializer(serializers.Serializer[Any]):
    taken_at = serializers.CharField(help_text="ISO 8601")
    trigger = serializers.CharField()
    results = serializers.DictField(help_text="item key -> {status, reasons, ...}")


class ChecklistHistoryView(generics.ListAPIView[ChecklistSnapshot]):
    pagination_class = HistoryPagination
    ordering = ("-taken_at", "-id")

    def get_queryset(self) -> QuerySet[ChecklistSnapshot]:
        return ChecklistSnapshot.objects.filter(organization=request_actor(self.request).organization)

    @extend_schema(
        summary="Snapshots of the checklist (daily, and whenever a status changed), newest first",
        parameters=[OpenApiParameter("item", OpenApiTypes.STR, description="only this item's status and reasons")],
        responses=HistoryRowSerializer(many=True),
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        actor = request_actor(request)
        require(actor, "baa:read", "checklist/*")
        item = request.query_params.get("item") or None
        if item is not None and item not in ITEMS:
            raise ValidationError({"item": [f"Choose one of: {', '.join(ITEMS)}."]})
        page = self.paginate_queryset(self.get_queryset())
        assert page is not None  # noqa: S101 - the view's pagination always pages
        rows = [
            {
                "taken_at": snapshot.taken_at.isoformat(),
                "trigger": snapshot.trigger,
                "results": snapshot.results if item is None else {item: snapshot.results.get(item)},
            }
            for snapshot in page
        ]
        return self.get_paginated_response(rows)


class EvidenceCreateView(APIView):
    parser_classes = [JSONParser, MultiPartParser]

    @extend_schema(
        summary="Add evidence to a checklist item: a file (multipart; PDF, PNG, JPEG, DOCX or text, stored "
        "encrypted) or an https link (JSON)",
        request={"multipart/form-data": EvidenceCreateSerializer, "application/json": EvidenceCreateSerializer},
        responses={201: EVIDENCE_SCHEMA},
    )
    def post(self, request: Request) -> Response:
        body = EvidenceCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        upload = data.pop("file", None)
        spec = EvidenceSpec(**data, content=upload.read() if upload else None, file_name=upload.name if upload else "")
        evidence = evidence_add(actor=request_actor(request), spec=spec)
        return Response(evidence_document(evidence), status=status.HTTP_201_CREATED)


def _access(request: Request, evidence_id: str, permission: str) -> ChecklistEvidence:
    return access_evidence(actor=request_actor(request), evidence_id=evidence_id, permission=permission)


class EvidenceDetailView(APIView):
    @extend_schema(summary="Revoke evidence (kept, no longer counted)", responses={204: None})
    def delete(self, request: Request, evidence_id: str) -> Response:
        evidence = _access(request, evidence_id, "baa:manage")
        evidence_revoke(actor=request_actor(request), evidence=evidence)
        return Response(status=status.HTTP_204_NO_CONTENT)


class EvidenceFileView(APIView):
    @extend_schema(
        summary="Download an evidence document (audited), in the type its bytes were recognised as",
        responses={(200, content_type): OpenApiTypes.BINARY for content_type in DOWNLOAD_TYPES},
    )
    def get(self, request: Request, evidence_id: str) -> HttpResponse:
        evidence = _access(request, evidence_id, "baa:read")
        content, content_type, _ = evidence_file(actor=request_actor(request), evidence=evidence)
        return file_response(evidence, content, content_type)


def file_response(evidence: ChecklistEvidence, content: bytes, content_type: str) -> HttpResponse:
    response = HttpResponse(
        content, content_type=content_type + ("; charset=utf-8" if content_type == "text/plain" else "")
    )
    extension = EXTENSIONS.get(content_type, ".docx" if "wordprocessingml" in content_type else "")
    response["Content-Disposition"] = f'attachment; filename="{evidence.public_id}{extension}"'
    response["Cache-Control"] = "no-store"
    return response
